//! The local stand-ins through the facade, on both clients: files, vector stores,
//! `previous_response_id` replay and input-token counting.

mod common;

use codex_testkit::{Reply, Script};
use oauth_codex::{
    Error, FileSource, Item, ListParams, OAuthCodexClient, ResponseCreateParams, SearchParams,
    VectorStoreCreateParams,
};
use serde_json::json;

use common::env;

#[test]
fn files_and_vector_stores_on_the_async_client() {
    let env = env();
    let client = env.builder().build().unwrap();
    env.rt.block_on(async {
        let file = client
            .files()
            .create(
                FileSource::bytes(
                    "pkce.txt",
                    "PKCE binds the authorization code to the client that asked for it.",
                ),
                "assistants",
                None,
            )
            .await
            .unwrap();
        assert!(file.id.starts_with("file-") && file.object == "file" && file.purpose == "assistants");
        assert_eq!(client.files().retrieve(&file.id).await.unwrap(), file);
        assert_eq!(client.files().content(&file.id).await.unwrap().len() as u64, file.bytes);
        assert_eq!(client.files().list(ListParams::default()).await.unwrap().data.len(), 1);

        let store = client
            .vector_stores()
            .create(VectorStoreCreateParams::new().name("docs").file_ids([file.id.clone()]))
            .await
            .unwrap();
        assert_eq!(store.file_counts.completed, 1);
        let hits =
            client.vector_stores().search(&store.id, SearchParams::new("authorization code")).await.unwrap();
        assert_eq!(hits.data[0].file_id, file.id);
        assert!(hits.data[0].score > 0.0 && hits.data[0].score <= 1.0);

        let missing = client.files().retrieve("file-nope").await.unwrap_err();
        let request = missing.as_request().expect("a not-found request error");
        assert_eq!((request.status_code, request.provider_code.as_deref()), (Some(404), Some("not_found")));
        let bad = client.files().create(FileSource::bytes("x.txt", "x"), "", None).await.unwrap_err();
        assert!(matches!(bad, Error::ParameterValidation(ref e) if e.parameter == "purpose"), "{bad}");

        assert_eq!(client.vector_stores().delete(&store.id).await.unwrap().object, "vector_store.deleted");
        assert!(client.files().delete(&file.id).await.unwrap().deleted);
    });
}

#[test]
fn files_and_vector_stores_on_the_blocking_client() {
    let env = env();
    let client = OAuthCodexClient::from_builder(env.builder()).unwrap();
    let file = client
        .files()
        .create(FileSource::bytes("notes.txt", "Refresh tokens rotate."), "assistants", None)
        .unwrap();
    let store = client.vector_stores().create(VectorStoreCreateParams::new().name("n")).unwrap();
    client
        .vector_stores()
        .attach_file(&store.id, &file.id, Some([("lang".to_owned(), json!("en"))].into_iter().collect()))
        .unwrap();
    let hits = client.vector_stores().search(&store.id, SearchParams::new("rotate")).unwrap();
    assert_eq!(hits.data.len(), 1);
    assert_eq!(client.vector_stores().retrieve(&store.id).unwrap().file_counts.total, 1);
    client.vector_stores().detach_file(&store.id, &file.id).unwrap();
    assert_eq!(client.vector_stores().retrieve(&store.id).unwrap().file_counts.total, 0);
}

#[test]
fn previous_response_id_is_replayed_locally_on_both_clients() {
    let env = env();
    let async_client = env.builder().build().unwrap();
    let blocking = OAuthCodexClient::from_builder(env.builder()).unwrap();

    env.codex
        .enqueue(Reply::stream(Script::new("resp_turn1").reasoning("Recall.").text("Paris.").completed()));
    let first = env
        .rt
        .block_on(
            async_client.responses().create(ResponseCreateParams::new("gpt-5.2-codex", "Capital of France?")),
        )
        .unwrap();
    assert_eq!(first.id, "resp_turn1");

    env.codex.enqueue(Reply::stream(Script::new("resp_turn2").text("About 2 million.").completed()));
    let second = blocking
        .responses()
        .create(
            ResponseCreateParams::new("gpt-5.2-codex", "And its population?")
                .previous_response_id("resp_turn1"),
        )
        .unwrap();
    assert_eq!(second.previous_response_id.as_deref(), Some("resp_turn1"));

    let sent = env.codex.requests();
    let body = sent.last().unwrap().json.clone().unwrap();
    assert!(body.get("previous_response_id").is_none(), "the backend never sees it");
    let input = body["input"].as_array().unwrap();
    let kinds: Vec<&str> = input.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["message", "reasoning", "message", "message"], "turn 1 input and output, then turn 2");
    assert!(input[1]["encrypted_content"].as_str().is_some(), "reasoning carries over");
    assert_eq!(input[3]["content"][0]["text"], "And its population?");

    let unknown = env
        .rt
        .block_on(
            async_client
                .responses()
                .create(ResponseCreateParams::new("gpt-5.2-codex", "?").previous_response_id("resp_unknown")),
        )
        .unwrap_err();
    assert!(
        matches!(unknown, Error::Continuity { ref response_id } if response_id == "resp_unknown"),
        "{unknown}"
    );
}

/// A turn whose answer is long (2 MB, in one delta): writing it takes the recorder a while,
/// long enough for the next call to start before it is on disk unless something waits for it.
fn long_turn(env: &common::Env, id: &str, previous: Option<&str>) -> ResponseCreateParams {
    let text = "All_work_and_no_play.".repeat(2 * 1024 * 1024 / 21);
    env.codex.enqueue(Reply::stream(Script::new(id).text(&text).completed()));
    let params = ResponseCreateParams::new("gpt-5.2-codex", format!("Turn {id}."));
    match previous {
        Some(previous) => params.previous_response_id(previous),
        None => params,
    }
}

/// Turns are written by a background recorder: the answer does not wait for the disk, but a
/// request continuing a turn waits for it, whichever client of the process recorded it.
#[test]
fn continuing_a_turn_waits_until_it_is_written() {
    let env = env();
    let async_client = env.builder().build().unwrap();
    let blocking = OAuthCodexClient::from_builder(env.builder()).unwrap();
    for round in 0..3 {
        let (a, b) = (format!("resp_a{round}"), format!("resp_b{round}"));
        env.rt.block_on(async_client.responses().create(long_turn(&env, &a, None))).unwrap();
        let second = blocking.responses().create(long_turn(&env, &b, Some(&a))).unwrap();
        assert_eq!(second.previous_response_id.as_deref(), Some(a.as_str()));
        let body = env.codex.requests().last().unwrap().json.clone().unwrap();
        assert_eq!(body["input"].as_array().unwrap().len(), 3, "the turn's input and output, then its own");
    }
}

#[test]
fn a_dropped_client_has_written_its_turns() {
    let env = env();
    // What another process would see: a reader of the same store.
    let reader =
        codex_compat::CompatStore::open(codex_compat::StorageLocation::dir(env.compat.path())).unwrap();
    // Another client stays alive: the process's recorder keeps running after each drop.
    let _other = env.builder().build().unwrap();
    for round in 0..3 {
        let client = env.builder().build().unwrap();
        let id = format!("resp_kept{round}");
        env.rt.block_on(client.responses().create(long_turn(&env, &id, None))).unwrap();
        drop(client);
        let history = reader.conversations().expand(&id, &[]).unwrap();
        assert_eq!(history.len(), 2, "the turn's input and output");
    }
}

/// A turn the store cannot take (here every insert of a response is refused, as on a full
/// disk) is kept, not lost: while the store refuses it a request continuing it finds nothing,
/// and once the store takes writes again, the next request continuing it, the drop of the
/// client that made it, or the recorder's own next attempt writes it.
#[test]
fn a_turn_the_store_refused_is_written_once_it_can_be() {
    let env = env();
    let store =
        codex_compat::CompatStore::open(codex_compat::StorageLocation::dir(env.compat.path())).unwrap();
    let db = rusqlite::Connection::open(env.compat.path().join(codex_compat::DATABASE_FILE)).unwrap();
    let refuse = || {
        db.execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON responses BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;",
        )
        .unwrap()
    };
    let allow = || db.execute_batch("DROP TRIGGER refuse").unwrap();
    // Another client stays alive, as in a_dropped_client_has_written_its_turns.
    let _other = env.builder().build().unwrap();
    let client = env.builder().build().unwrap();
    let answer = |id: &str, previous: Option<&str>| {
        env.codex.enqueue(Reply::stream(Script::new(id).text("ok").completed()));
        let mut params = ResponseCreateParams::new("gpt-5.2-codex", format!("Turn {id}."));
        params.previous_response_id = previous.map(str::to_owned);
        env.rt.block_on(client.responses().create(params))
    };
    let continuing = |previous: &str| {
        let mut params = ResponseCreateParams::new("gpt-5.2-codex", "And then?");
        params.previous_response_id = Some(previous.to_owned());
        env.rt.block_on(client.responses().create(params))
    };

    refuse();
    assert_eq!(
        answer("resp_refused1", None).unwrap().id,
        "resp_refused1",
        "the answer does not wait for the disk"
    );
    let refused = continuing("resp_refused1").unwrap_err();
    assert!(matches!(refused, Error::Continuity { .. }), "{refused}");
    allow();
    let next = answer("resp_after1", Some("resp_refused1")).unwrap();
    assert_eq!(next.previous_response_id.as_deref(), Some("resp_refused1"));
    let body = env.codex.requests().last().unwrap().json.clone().unwrap();
    assert_eq!(body["input"].as_array().unwrap().len(), 3, "the kept turn's input and output, then its own");

    // Nothing asks for it: the recorder tries again on its own, after a pause.
    refuse();
    answer("resp_refused2", None).unwrap();
    assert!(matches!(continuing("resp_refused2"), Err(Error::Continuity { .. })));
    allow();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !store.conversations().contains("resp_refused2").unwrap() {
        assert!(std::time::Instant::now() < deadline, "the kept turn was never written again");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    refuse();
    answer("resp_refused3", None).unwrap();
    assert!(matches!(continuing("resp_refused3"), Err(Error::Continuity { .. })));
    allow();
    drop(client);
    assert!(store.conversations().contains("resp_refused3").unwrap(), "written when its client was dropped");
    assert_eq!(store.conversations().expand("resp_after1", &[]).unwrap().len(), 4, "both turns, in order");
}

/// The recorder writes the turns it gathers one transaction per store: turns of clients with
/// different stores, handed over in turn within one gathering, each land in their own store.
#[test]
fn gathered_turns_of_two_stores_land_in_their_own() {
    let env = env();
    let other_dir = tempfile::tempdir().unwrap();
    let first = env.builder().build().unwrap();
    let second = env.builder().compat_storage_dir(other_dir.path()).build().unwrap();
    let mut ids = (Vec::new(), Vec::new());
    for round in 0..4 {
        for (label, client, ids) in [("first", &first, &mut ids.0), ("second", &second, &mut ids.1)] {
            let id = format!("resp_{label}_{round}");
            env.codex.enqueue(Reply::stream(Script::new(&id).text("ok").completed()));
            env.rt
                .block_on(client.responses().create(ResponseCreateParams::new("gpt-5.2-codex", "hi")))
                .unwrap();
            ids.push(id);
        }
    }
    drop((first, second));
    let open = |dir: &std::path::Path| {
        codex_compat::CompatStore::open(codex_compat::StorageLocation::dir(dir)).unwrap().conversations()
    };
    let (mine, theirs) = (open(env.compat.path()), open(other_dir.path()));
    for id in &ids.0 {
        assert!(mine.contains(id).unwrap() && !theirs.contains(id).unwrap(), "{id}");
    }
    for id in &ids.1 {
        assert!(theirs.contains(id).unwrap() && !mine.contains(id).unwrap(), "{id}");
    }
}

#[test]
fn input_tokens_are_counted_locally() {
    let env = env();
    let client = env.builder().build().unwrap();
    let blocking = OAuthCodexClient::from_builder(env.builder()).unwrap();
    let params = ResponseCreateParams::new(
        "gpt-5.2-codex",
        vec![Item::Message(oauth_codex::Message::user("hello world"))],
    );
    let counted = env.rt.block_on(client.responses().input_tokens().count(params.clone())).unwrap();
    assert!(counted.counted_locally);
    assert_eq!(counted.input_tokens, 9, "2 for the text, 1 for the role, 3 of framing, 3 of reply priming");
    assert_eq!(blocking.responses().count_input_tokens(params).unwrap(), counted);
    assert!(env.codex.requests().is_empty(), "no request was sent");
}

#[test]
fn other_servers_never_touch_the_local_store() {
    let env = env();
    let client =
        env.builder().base_url("http://127.0.0.1:9/v1").api_key("sk-test").max_retries(0).build().unwrap();
    let error =
        env.rt.block_on(client.files().create(FileSource::bytes("a", "b"), "assistants", None)).unwrap_err();
    assert!(error.as_request().is_some(), "the upload went to the (absent) server: {error}");
    assert!(std::fs::read_dir(env.compat.path()).unwrap().next().is_none(), "nothing was written locally");
}
