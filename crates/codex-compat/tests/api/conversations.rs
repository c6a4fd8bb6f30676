use std::time::{Duration, SystemTime};

use codex_compat::{CompatStore, ResourceKind, ResponseRecord, StorageLocation, StoreOptions};
use codex_schema::{
    ContentPart, FunctionCall, Item, Message, ReasoningItem, ResponseCreateParams, ToolResult,
};
use serde_json::json;

use crate::{invalid_parameter, not_found, open_store, open_store_with};

fn user(text: &str) -> Item {
    Message::user(vec![ContentPart::input_text(text)]).into()
}

fn assistant(text: &str) -> Item {
    Message::assistant(vec![ContentPart::output_text(text)]).into()
}

fn reasoning(secret: &str) -> Item {
    ReasoningItem {
        id: Some("rs_1".into()),
        summary: vec![ContentPart::SummaryText(codex_schema::InputText {
            text: "thinking".into(),
            extra: Default::default(),
        })],
        encrypted_content: Some(secret.into()),
        ..ReasoningItem::default()
    }
    .into()
}

#[test]
fn record_and_expand_a_chain_in_order() {
    let (_dir, store) = open_store();
    let conversations = store.conversations();
    let call = FunctionCall {
        call_id: "call_1".into(),
        name: "weather".into(),
        arguments: "{\"city\":\"Oslo\"}".into(),
        ..FunctionCall::default()
    };
    let unknown: Item = serde_json::from_value(
        json!({"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"query": "x"}}),
    )
    .expect("unknown item");
    conversations
        .record("resp_1", None, &[user("Weather in Oslo?")], &[reasoning("enc-1"), call.clone().into()])
        .expect("record 1");
    conversations
        .record(
            "resp_2",
            Some("resp_1"),
            &[ToolResult::new("call_1", "{\"temp\": 3}").into()],
            &[unknown.clone(), assistant("3 degrees.")],
        )
        .expect("record 2");
    conversations
        .record("resp_3", Some("resp_2"), &[user("Thanks")], &[assistant("You're welcome.")])
        .expect("record 3");

    let history = conversations.expand("resp_3", &[user("Bye")]).expect("expand");
    let expected: Vec<Item> = vec![
        user("Weather in Oslo?"),
        reasoning("enc-1"),
        call.into(),
        ToolResult::new("call_1", "{\"temp\": 3}").into(),
        unknown,
        assistant("3 degrees."),
        user("Thanks"),
        assistant("You're welcome."),
        user("Bye"),
    ];
    assert_eq!(history, expected);
    // Reasoning keeps its encrypted content for the next turn.
    let Item::Reasoning(r) = &history[1] else { panic!("reasoning first output") };
    assert_eq!(r.encrypted_content.as_deref(), Some("enc-1"));

    // A middle link expands to its own prefix only.
    assert_eq!(conversations.expand("resp_1", &[]).expect("expand 1").len(), 3);
    assert!(conversations.contains("resp_2").expect("contains"));
    assert!(!conversations.contains("resp_9").expect("contains"));
}

#[test]
fn branches_expand_independently() {
    let (_dir, store) = open_store();
    let c = store.conversations();
    c.record("root", None, &[user("start")], &[assistant("ok")]).expect("root");
    c.record("left", Some("root"), &[user("left?")], &[assistant("left!")]).expect("left");
    c.record("right", Some("root"), &[user("right?")], &[assistant("right!")]).expect("right");
    assert_eq!(
        c.expand("left", &[]).expect("left"),
        vec![user("start"), assistant("ok"), user("left?"), assistant("left!")]
    );
    assert_eq!(
        c.expand("right", &[]).expect("right"),
        vec![user("start"), assistant("ok"), user("right?"), assistant("right!")]
    );
}

#[test]
fn errors() {
    let (_dir, store) = open_store();
    let c = store.conversations();
    assert_eq!(not_found(c.expand("resp_missing", &[])), (ResourceKind::Response, "resp_missing".to_owned()));
    assert_eq!(not_found(c.record("resp_2", Some("resp_missing"), &[], &[])).0, ResourceKind::Response);
    assert!(!c.contains("resp_2").expect("contains"), "a failed record stores nothing");
    assert_eq!(invalid_parameter(c.record("resp_1", Some("resp_1"), &[], &[])), "previous_response_id");
    assert_eq!(invalid_parameter(c.record("", None, &[], &[])), "response_id");
    assert_eq!(invalid_parameter(c.expand("", &[])), "previous_response_id");

    c.record("resp_1", None, &[user("a")], &[assistant("b")]).expect("record");
    c.record("resp_1", None, &[user("a")], &[assistant("b")]).expect("same record again is a no-op");
    assert_eq!(
        invalid_parameter(c.record("resp_1", None, &[user("a")], &[assistant("other")])),
        "response_id"
    );
    let err = c.expand("resp_missing", &[]).expect_err("missing");
    assert_eq!((err.status_code(), err.provider_code()), (404, "not_found"));
}

/// One transaction for several responses: each gets `record`'s outcome, a refused one leaves
/// the others recorded, and a response may continue one earlier in the same batch.
#[test]
fn record_all_refuses_alone_and_chains_within_the_batch() {
    let (_dir, store) = open_store();
    let c = store.conversations();
    c.record("resp_old", None, &[user("q")], &[assistant("first answer")]).expect("record");
    let (q1, a1, q2, a2) = ([user("1")], [assistant("one")], [user("2")], [assistant("two")]);
    let record = |response_id, previous_response_id, input_items, output_items| ResponseRecord {
        response_id,
        previous_response_id,
        input_items,
        output_items,
    };
    let outcomes = c
        .record_all(&[
            record("resp_a", None, &q1, &a1),
            record("", None, &q1, &a1),
            record("resp_b", Some("resp_a"), &q2, &a2),
            record("resp_c", Some("resp_missing"), &q2, &a2),
            record("resp_old", None, &[user("q")], &[assistant("another answer")]),
            record("resp_d", Some("resp_b"), &[], &[]),
        ])
        .expect("the batch is written");
    let mut outcomes = outcomes.into_iter();
    outcomes.next().unwrap().expect("resp_a");
    assert_eq!(invalid_parameter(outcomes.next().unwrap()), "response_id");
    outcomes.next().unwrap().expect("resp_b continues resp_a of the same batch");
    assert_eq!(not_found(outcomes.next().unwrap()).1, "resp_missing");
    assert_eq!(invalid_parameter(outcomes.next().unwrap()), "response_id");
    outcomes.next().unwrap().expect("resp_d");
    assert!(outcomes.next().is_none(), "one outcome per record");

    assert_eq!(c.expand("resp_d", &[]).expect("expand"), [&q1[..], &a1, &q2, &a2].concat());
    assert!(!c.contains("resp_c").expect("contains"));
    assert_eq!(c.expand("resp_old", &[]).expect("expand"), [user("q"), assistant("first answer")]);
    assert!(c.record_all(&[]).expect("nothing to write").is_empty());
}

#[test]
fn conversations_expire_by_age() {
    let (_dir, store) = open_store();
    let c = store.conversations();
    c.record("old_1", None, &[user("a")], &[assistant("b")]).expect("record");
    c.record("old_2", Some("old_1"), &[user("c")], &[assistant("d")]).expect("record");
    let cutoff = SystemTime::now() + Duration::from_secs(1);
    assert_eq!(c.purge_inactive_before(cutoff).expect("purge"), 2);
    assert_eq!(not_found(c.expand("old_2", &[])).0, ResourceKind::Response);
    assert_eq!(c.purge_inactive_before(cutoff).expect("purge again"), 0);
    // Far-past cutoffs purge nothing.
    c.record("new", None, &[user("a")], &[assistant("b")]).expect("record");
    assert_eq!(c.purge_inactive_before(SystemTime::UNIX_EPOCH).expect("purge"), 0);
    assert!(c.contains("new").expect("contains"));
}

#[test]
fn activity_keeps_a_whole_conversation_alive() {
    let (_dir, store) = open_store();
    let c = store.conversations();
    c.record("first", None, &[user("a")], &[assistant("b")]).expect("record");
    let between = SystemTime::now();
    std::thread::sleep(Duration::from_millis(5));
    c.record("second", Some("first"), &[user("c")], &[assistant("d")]).expect("record");
    // The conversation was active after `between`, so its first response stays too.
    assert_eq!(c.purge_inactive_before(between).expect("purge"), 0);
    assert_eq!(c.expand("second", &[]).expect("expand").len(), 4);
}

#[test]
fn ttl_is_applied_on_read_and_on_open() {
    let options = StoreOptions::default().conversation_ttl(Duration::from_millis(1));
    let (dir, store) = open_store_with(options.clone());
    let c = store.conversations();
    c.record("brief", None, &[user("a")], &[assistant("b")]).expect("record");
    std::thread::sleep(Duration::from_millis(20));
    // Expired: gone for expand even before a purge.
    assert_eq!(not_found(c.expand("brief", &[])).0, ResourceKind::Response);
    drop((c, store));
    // Opening with a long TTL would keep it; the short TTL purges on open.
    let reopened =
        CompatStore::open_with(StorageLocation::dir(dir.path().join("compat")), options).expect("reopen");
    assert_eq!(reopened.conversations().purge_expired().expect("purge"), 0, "already purged by open");
}

#[test]
fn record_purges_expired_conversations() {
    let options = StoreOptions::default().conversation_ttl(Duration::from_millis(1));
    let (_dir, store) = open_store_with(options);
    let c = store.conversations();
    c.record("a", None, &[user("a")], &[]).expect("record a");
    std::thread::sleep(Duration::from_millis(20));
    c.record("b", None, &[user("b")], &[]).expect("record b (purges a)");
    std::thread::sleep(Duration::from_millis(20));
    // Only b is left to purge.
    assert_eq!(c.purge_expired().expect("purge"), 1);
}

/// Purges run at most once per TTL (or minute) while recording; a conversation that expired
/// since the last one is still gone for `record`, as for `expand`.
#[test]
fn record_never_continues_an_expired_conversation_between_purges() {
    let options = StoreOptions::default().conversation_ttl(Duration::from_millis(1000));
    let (_dir, store) = open_store_with(options);
    let c = store.conversations();
    c.record("x", None, &[user("x")], &[]).expect("record x (purges)");
    std::thread::sleep(Duration::from_millis(250));
    c.record("a", None, &[user("a")], &[]).expect("record a (no purge due)");
    std::thread::sleep(Duration::from_millis(800));
    // A purge is due again; a is 800 ms old and stays.
    c.record("y", None, &[user("y")], &[]).expect("record y (purges x)");
    std::thread::sleep(Duration::from_millis(300));
    // a expired 100 ms ago; the last purge was 300 ms ago, so none is due.
    assert_eq!(not_found(c.expand("a", &[])).0, ResourceKind::Response);
    let refused = c.record("c", Some("a"), &[user("c")], &[]).unwrap_err();
    assert!(matches!(refused, codex_compat::Error::NotFound { .. }), "{refused}");
    // A refused record writes nothing: a is left for the next purge.
    assert_eq!(c.purge_expired().expect("purge"), 1);
}

#[test]
fn store_counts_tokens_of_the_expanded_history() {
    let (_dir, store) = open_store();
    store
        .conversations()
        .record("resp_1", None, &[user("hello world")], &[assistant("hello world")])
        .expect("record");
    let params = ResponseCreateParams::new("gpt-5", "hello world").previous_response_id("resp_1");
    let count = store.count_input_tokens(&params).expect("count");
    // Three messages of 3 + 1 (role) + 2 tokens, and 3 for the reply.
    assert_eq!(count.input_tokens, 3 * (3 + 1 + 2) + 3);
    let missing = ResponseCreateParams::new("gpt-5", "hi").previous_response_id("resp_nope");
    assert_eq!(not_found(store.count_input_tokens(&missing)).0, ResourceKind::Response);
}
