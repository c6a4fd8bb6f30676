use codex_compat::{
    CompatStore, DATABASE_FILE, FileSource, Filter, ListParams, Order, ResourceKind, SearchParams,
    VectorStoreCreateParams, VectorStoreUpdateParams,
};
use codex_schema::ExpiresAfter;
use serde_json::json;

use crate::{invalid_parameter, map, not_found, open_store};

fn text_file(store: &CompatStore, name: &str, text: &str) -> String {
    store.files().create(FileSource::bytes(name, text), "assistants", None).expect("create file").id
}

#[test]
fn create_retrieve_and_shape() {
    let (_dir, store) = open_store();
    let a = text_file(&store, "a.txt", "alpha text");
    let b = text_file(&store, "b.txt", "beta text, longer");
    let vs = store
        .vector_stores()
        .create(
            &VectorStoreCreateParams::new()
                .name("docs")
                .file_ids([a.clone(), b.clone(), a.clone()])
                .metadata(map(json!({"team": "core"})))
                .expires_after_days(7),
        )
        .expect("create");
    assert!(vs.id.starts_with("vs_"), "{}", vs.id);
    assert_eq!(vs.object, "vector_store");
    assert_eq!(vs.name.as_deref(), Some("docs"));
    assert_eq!(vs.status, "completed");
    assert_eq!(vs.file_counts.total, 2, "duplicate ids attach once");
    assert_eq!(vs.file_counts.completed, 2);
    assert_eq!(vs.usage_bytes, ("alpha text".len() + "beta text, longer".len()) as u64);
    assert_eq!(vs.metadata, Some(map(json!({"team": "core"}))));
    assert_eq!(vs.expires_after, Some(ExpiresAfter { anchor: "last_active_at".into(), days: 7 }));
    let last_active = vs.last_active_at.expect("last_active_at");
    assert_eq!(vs.expires_at, Some(last_active + 7 * 86_400));
    assert_eq!(store.vector_stores().retrieve(&vs.id).expect("retrieve"), vs);
}

#[test]
fn create_is_all_or_nothing() {
    let (_dir, store) = open_store();
    let a = text_file(&store, "a.txt", "alpha");
    let err =
        store.vector_stores().create(&VectorStoreCreateParams::new().file_ids([a, "file-missing".into()]));
    assert_eq!(not_found(err), (ResourceKind::File, "file-missing".to_owned()));
    assert!(store.vector_stores().list(&ListParams::new()).expect("list").data.is_empty());

    let vs = store.vector_stores();
    let mut bad_expiry = VectorStoreCreateParams::new();
    bad_expiry.expires_after = Some(ExpiresAfter { anchor: "created_at".into(), days: 3 });
    assert_eq!(invalid_parameter(vs.create(&bad_expiry)), "expires_after.anchor");
    assert_eq!(
        invalid_parameter(vs.create(&VectorStoreCreateParams::new().expires_after_days(0))),
        "expires_after.days"
    );
    assert_eq!(
        invalid_parameter(vs.create(&VectorStoreCreateParams::new().metadata(map(json!({"n": true}))))),
        "metadata"
    );
}

#[test]
fn unknown_ids_are_not_found() {
    let (_dir, store) = open_store();
    let vs = store.vector_stores();
    assert_eq!(not_found(vs.retrieve("vs_nope")), (ResourceKind::VectorStore, "vs_nope".to_owned()));
    assert_eq!(
        not_found(vs.update("vs_nope", &VectorStoreUpdateParams::new().name("x"))).0,
        ResourceKind::VectorStore
    );
    assert_eq!(not_found(vs.delete("vs_nope")).0, ResourceKind::VectorStore);
    assert_eq!(not_found(vs.search("vs_nope", &SearchParams::new("x"))).0, ResourceKind::VectorStore);
    let file = text_file(&store, "a.txt", "alpha");
    assert_eq!(not_found(vs.attach_file("vs_nope", &file, None)).0, ResourceKind::VectorStore);
    let real = vs.create(&VectorStoreCreateParams::new()).expect("create");
    assert_eq!(not_found(vs.attach_file(&real.id, "file-nope", None)).0, ResourceKind::File);
    assert_eq!(not_found(vs.retrieve_file(&real.id, &file)).0, ResourceKind::VectorStoreFile);
    assert_eq!(not_found(vs.detach_file(&real.id, &file)).0, ResourceKind::VectorStoreFile);
    assert_eq!(not_found(vs.update_file_attributes(&real.id, &file, None)).0, ResourceKind::VectorStoreFile);
    assert_eq!(not_found(vs.list_files("vs_nope", &ListParams::new())).0, ResourceKind::VectorStore);
}

#[test]
fn list_pagination_edges() {
    let (_dir, store) = open_store();
    let vs = store.vector_stores();
    let empty = vs.list(&ListParams::new()).expect("empty");
    assert!(empty.data.is_empty() && !empty.has_more && empty.first_id.is_none() && empty.last_id.is_none());

    let ids: Vec<String> = (0..4)
        .map(|i| vs.create(&VectorStoreCreateParams::new().name(format!("s{i}"))).expect("create").id)
        .collect();
    let page = vs.list(&ListParams::new()).expect("list");
    assert_eq!(
        page.data.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        ids.iter().rev().cloned().collect::<Vec<_>>()
    );
    assert_eq!(page.first_id.as_deref(), Some(ids[3].as_str()));
    assert_eq!(page.last_id.as_deref(), Some(ids[0].as_str()));
    assert!(!page.has_more);

    let one = vs.list(&ListParams::new().limit(1)).expect("limit 1");
    assert_eq!((one.data.len(), one.has_more), (1, true));
    let next = vs.list(&ListParams::new().limit(1).after(one.last_id.clone().expect("last"))).expect("next");
    assert_eq!(next.data[0].id, ids[2]);

    let after_last = vs.list(&ListParams::new().after(ids[0].clone())).expect("after last");
    assert!(after_last.data.is_empty() && !after_last.has_more);
    let before_last = vs.list(&ListParams::new().before(ids[0].clone()).limit(2)).expect("before last");
    assert_eq!(
        before_last.data.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        vec![ids[2].clone(), ids[1].clone()]
    );
    assert!(before_last.has_more);
    let asc_before_last = vs.list(&ListParams::new().order(Order::Asc).before(ids[3].clone())).expect("asc");
    assert_eq!(asc_before_last.data.len(), 3);
    assert!(!asc_before_last.has_more);

    assert_eq!(invalid_parameter(vs.list(&ListParams::new().limit(0))), "limit");
    assert_eq!(invalid_parameter(vs.list(&ListParams::new().limit(101))), "limit");
    assert_eq!(vs.list(&ListParams::new().limit(100)).expect("100").data.len(), 4);
    assert_eq!(invalid_parameter(vs.list(&ListParams::new().after("vs_gone"))), "after");
}

#[test]
fn update_changes_fields_and_files() {
    let (_dir, store) = open_store();
    let vs = store.vector_stores();
    let a = text_file(&store, "a.txt", "aaaa");
    let b = text_file(&store, "b.txt", "bbbbbb");
    let c = text_file(&store, "c.txt", "cc");
    let created = vs
        .create(&VectorStoreCreateParams::new().name("old").file_ids([a.clone(), b.clone()]))
        .expect("create");

    let updated = vs
        .update(
            &created.id,
            &VectorStoreUpdateParams::new()
                .name("new")
                .metadata(map(json!({"v": "2"})))
                .expires_after_days(30)
                .file_ids([b.clone(), c.clone()]),
        )
        .expect("update");
    assert_eq!(updated.name.as_deref(), Some("new"));
    assert_eq!(updated.metadata, Some(map(json!({"v": "2"}))));
    assert_eq!(updated.expires_after.as_ref().map(|e| e.days), Some(30));
    assert_eq!(updated.file_counts.total, 2);
    assert_eq!(updated.usage_bytes, 6 + 2);
    let listed: Vec<String> = vs
        .list_files(&created.id, &ListParams::new().order(Order::Asc))
        .expect("files")
        .data
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(listed, vec![b.clone(), c.clone()]);

    let cleared = vs
        .update(
            &created.id,
            &VectorStoreUpdateParams::new().clear_name().clear_metadata().clear_expires_after(),
        )
        .expect("clear");
    assert_eq!(
        (cleared.name, cleared.metadata, cleared.expires_after, cleared.expires_at),
        (None, None, None, None)
    );
    assert_eq!(cleared.file_counts.total, 2, "files untouched when file_ids is not given");

    assert_eq!(
        not_found(vs.update(&created.id, &VectorStoreUpdateParams::new().file_ids(["file-x"]))).0,
        ResourceKind::File
    );
    assert_eq!(
        vs.retrieve(&created.id).expect("retrieve").file_counts.total,
        2,
        "failed update changed nothing"
    );
    assert_eq!(
        invalid_parameter(vs.update(&created.id, &VectorStoreUpdateParams::new().expires_after_days(366))),
        "expires_after.days"
    );
}

#[test]
fn delete_returns_deleted_object_and_keeps_files() {
    let (_dir, store) = open_store();
    let vs = store.vector_stores();
    let a = text_file(&store, "a.txt", "alpha");
    let created = vs.create(&VectorStoreCreateParams::new().file_ids([a.clone()])).expect("create");
    let deleted = vs.delete(&created.id).expect("delete");
    assert_eq!(
        serde_json::to_value(&deleted).expect("json"),
        json!({"id": created.id, "object": "vector_store.deleted", "deleted": true})
    );
    assert!(not_found(vs.retrieve(&created.id)).0 == ResourceKind::VectorStore);
    assert!(vs.delete(&created.id).is_err());
    assert!(store.files().retrieve(&a).is_ok());
    assert!(store.check_integrity().expect("check").is_ok());
}

#[test]
fn attach_detach_and_attributes() {
    let (_dir, store) = open_store();
    let vs = store.vector_stores();
    let a = text_file(&store, "a.txt", "alpha");
    let created = vs.create(&VectorStoreCreateParams::new()).expect("create");
    assert_eq!(created.file_counts.total, 0);

    let attached = vs
        .attach_file(&created.id, &a, Some(map(json!({"lang": "en", "year": 2024, "draft": false}))))
        .expect("attach");
    assert_eq!(attached.id, a);
    assert_eq!(attached.object, "vector_store.file");
    assert_eq!(attached.vector_store_id, created.id);
    assert_eq!(attached.status, "completed");
    assert_eq!(attached.usage_bytes, 5);
    assert_eq!(attached.last_error, None);
    assert_eq!(attached.attributes, Some(map(json!({"lang": "en", "year": 2024, "draft": false}))));
    assert_eq!(vs.retrieve_file(&created.id, &a).expect("retrieve file"), attached);

    // Attaching again keeps one membership; attributes are replaced when given.
    let again = vs.attach_file(&created.id, &a, Some(map(json!({"lang": "fr"})))).expect("again");
    assert_eq!(again.attributes, Some(map(json!({"lang": "fr"}))));
    assert_eq!(vs.retrieve(&created.id).expect("store").file_counts.total, 1);
    let kept = vs.attach_file(&created.id, &a, None).expect("again without attributes");
    assert_eq!(kept.attributes, Some(map(json!({"lang": "fr"}))));

    let updated =
        vs.update_file_attributes(&created.id, &a, Some(map(json!({"n": 1.5})))).expect("update attrs");
    assert_eq!(updated.attributes, Some(map(json!({"n": 1.5}))));
    assert_eq!(
        invalid_parameter(vs.update_file_attributes(&created.id, &a, Some(map(json!({"nested": {"x": 1}}))))),
        "attributes"
    );
    assert_eq!(
        invalid_parameter(vs.attach_file(&created.id, &a, Some(map(json!({"list": [1]}))))),
        "attributes"
    );

    let detached = vs.detach_file(&created.id, &a).expect("detach");
    assert_eq!(
        serde_json::to_value(&detached).expect("json"),
        json!({"id": a, "object": "vector_store.file.deleted", "deleted": true})
    );
    let after = vs.retrieve(&created.id).expect("store");
    assert_eq!((after.file_counts.total, after.usage_bytes), (0, 0));
    assert!(store.files().retrieve(&a).is_ok(), "detaching keeps the file");
}

#[test]
fn list_files_paginates() {
    let (_dir, store) = open_store();
    let vs = store.vector_stores();
    let ids: Vec<String> =
        (0..3).map(|i| text_file(&store, &format!("{i}.txt"), &format!("text {i}"))).collect();
    let created = vs.create(&VectorStoreCreateParams::new()).expect("create");
    assert!(vs.list_files(&created.id, &ListParams::new()).expect("empty").data.is_empty());
    for id in &ids {
        vs.attach_file(&created.id, id, None).expect("attach");
    }
    let page = vs.list_files(&created.id, &ListParams::new().limit(1)).expect("limit 1");
    assert_eq!(page.data[0].id, ids[2]);
    assert!(page.has_more);
    let rest = vs.list_files(&created.id, &ListParams::new().after(ids[2].clone())).expect("rest");
    assert_eq!(
        rest.data.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        vec![ids[1].clone(), ids[0].clone()]
    );
    assert!(!rest.has_more);
    assert!(
        vs.list_files(&created.id, &ListParams::new().after(ids[0].clone()))
            .expect("after last")
            .data
            .is_empty()
    );
    assert_eq!(invalid_parameter(vs.list_files(&created.id, &ListParams::new().limit(101))), "limit");
    assert_eq!(
        invalid_parameter(vs.list_files(&created.id, &ListParams::new().before("file-else"))),
        "before"
    );
}

#[test]
fn non_utf8_files_are_stored_but_failed() {
    let (_dir, store) = open_store();
    let vs = store.vector_stores();
    let binary = store
        .files()
        .create(
            FileSource::bytes("image.png", vec![0x89, b'P', b'N', b'G', 0xff, 0xfe, 0x00]),
            "assistants",
            None,
        )
        .expect("binary")
        .id;
    let text = text_file(&store, "t.txt", "searchable words here");
    let created =
        vs.create(&VectorStoreCreateParams::new().file_ids([binary.clone(), text.clone()])).expect("create");
    assert_eq!(created.file_counts.completed, 1);
    assert_eq!(created.file_counts.failed, 1);
    assert_eq!(created.file_counts.total, 2);
    assert_eq!(created.usage_bytes, "searchable words here".len() as u64);
    let failed = vs.retrieve_file(&created.id, &binary).expect("retrieve");
    assert_eq!(failed.status, "failed");
    assert_eq!(failed.usage_bytes, 0);
    let message = failed.last_error.as_ref().and_then(|e| e["message"].as_str()).expect("message").to_owned();
    assert!(message.contains("not UTF-8 text"), "{message}");
    assert_eq!(store.files().content(&binary).expect("content").len(), 7, "bytes still stored");
    // Attaching the same bytes elsewhere reuses the verdict.
    let other = vs.create(&VectorStoreCreateParams::new().file_ids([binary.clone()])).expect("other");
    assert_eq!(other.file_counts.failed, 1);
    assert!(store.check_integrity().expect("check").is_ok());
}

#[test]
fn counts_stay_true_as_files_come_and_go() {
    let (_dir, store) = open_store();
    let vs = store.vector_stores();
    let created = vs.create(&VectorStoreCreateParams::new()).expect("create");
    let mut expected_bytes = 0;
    let mut ids = Vec::new();
    for i in 0..6 {
        let text = "x".repeat(10 * (i + 1));
        expected_bytes += text.len() as u64;
        let id = text_file(&store, &format!("{i}.txt"), &text);
        vs.attach_file(&created.id, &id, None).expect("attach");
        ids.push((id, text.len() as u64));
    }
    let now = vs.retrieve(&created.id).expect("retrieve");
    assert_eq!((now.file_counts.total, now.file_counts.completed, now.usage_bytes), (6, 6, expected_bytes));
    // Deleting a file removes it from the store.
    store.files().delete(&ids[0].0).expect("delete file");
    vs.detach_file(&created.id, &ids[1].0).expect("detach");
    let now = vs.retrieve(&created.id).expect("retrieve");
    assert_eq!(now.file_counts.total, 4);
    assert_eq!(now.usage_bytes, expected_bytes - ids[0].1 - ids[1].1);
    assert_eq!(vs.list_files(&created.id, &ListParams::new()).expect("files").data.len(), 4);
}

fn search_fixture() -> (tempfile::TempDir, CompatStore, String, Vec<String>) {
    let (dir, store) = open_store();
    let vs = store.vector_stores();
    let created = vs.create(&VectorStoreCreateParams::new()).expect("create");
    let docs = [
        (
            "bread.txt",
            "Sourdough bread rises with a wild yeast starter fed with flour and water.",
            json!({"topic": "food", "year": 2021}),
        ),
        (
            "tcp.txt",
            "The TCP three-way handshake sends SYN, SYN-ACK and ACK before data flows.",
            json!({"topic": "net", "year": 2019}),
        ),
        (
            "bees.txt",
            "Honeybees dance to tell their sisters where the flowers are.",
            json!({"topic": "nature", "year": 2023}),
        ),
        (
            "pasta.txt",
            "Fresh pasta needs flour, eggs and patience; no yeast at all.",
            json!({"topic": "food", "year": 2024}),
        ),
    ];
    let mut ids = Vec::new();
    for (name, text, attributes) in docs {
        let id = text_file(&store, name, text);
        vs.attach_file(&created.id, &id, Some(map(attributes))).expect("attach");
        ids.push(id);
    }
    (dir, store, created.id, ids)
}

#[test]
fn search_returns_openai_shape_best_first() {
    let (_dir, store, vs_id, ids) = search_fixture();
    let page =
        store.vector_stores().search(&vs_id, &SearchParams::new("wild yeast starter")).expect("search");
    assert_eq!(page.object, "vector_store.search_results.page");
    assert_eq!(page.search_query, "wild yeast starter");
    assert_eq!(page.next_page, None);
    assert!(!page.has_more);
    assert_eq!(page.data[0].file_id, ids[0]);
    assert_eq!(page.data[0].filename, "bread.txt");
    assert_eq!(page.data[0].attributes, Some(map(json!({"topic": "food", "year": 2021}))));
    assert_eq!(page.data[0].content[0].kind, "text");
    assert!(page.data[0].content[0].text.contains("Sourdough"));
    assert_eq!(page.data.len(), 2, "bread and pasta mention yeast");
    for window in page.data.windows(2) {
        assert!(window[0].score >= window[1].score);
    }
    for hit in &page.data {
        assert!(hit.score > 0.0 && hit.score <= 1.0, "{}", hit.score);
    }
    let wire = serde_json::to_value(&page).expect("json");
    assert_eq!(wire["data"][0]["content"][0]["type"], "text");

    // Stemming and case folding: "Dances" finds "dance".
    let bees = store.vector_stores().search(&vs_id, &SearchParams::new("Dances")).expect("stem");
    assert_eq!(bees.data[0].file_id, ids[2]);
}

#[test]
fn search_limits_filters_and_threshold() {
    let (_dir, store, vs_id, ids) = search_fixture();
    let vs = store.vector_stores();
    let one = vs.search(&vs_id, &SearchParams::new("flour").max_num_results(1)).expect("max 1");
    assert_eq!(one.data.len(), 1);
    assert!(one.has_more);

    let filtered = vs
        .search(&vs_id, &SearchParams::new("flour yeast").filters(Filter::gte("year", 2022)))
        .expect("filter");
    assert_eq!(filtered.data.iter().map(|h| h.file_id.clone()).collect::<Vec<_>>(), vec![ids[3].clone()]);
    let compound = Filter::or([
        Filter::eq("topic", "net"),
        Filter::and([Filter::eq("topic", "food"), Filter::lt("year", 2022)]),
    ]);
    let hits = vs.search(&vs_id, &SearchParams::new("flour handshake").filters(compound)).expect("compound");
    let mut found: Vec<String> = hits.data.iter().map(|h| h.file_id.clone()).collect();
    found.sort();
    let mut expected = vec![ids[0].clone(), ids[1].clone()];
    expected.sort();
    assert_eq!(found, expected);
    let none =
        vs.search(&vs_id, &SearchParams::new("flour").filters(Filter::eq("topic", "space"))).expect("none");
    assert!(none.data.is_empty());

    let all = vs.search(&vs_id, &SearchParams::new("flour yeast")).expect("all");
    let cut = all.data[0].score;
    let above = vs.search(&vs_id, &SearchParams::new("flour yeast").score_threshold(cut)).expect("threshold");
    assert!(!above.data.is_empty());
    assert!(above.data.iter().all(|h| h.score >= cut));
    assert!(above.data.len() < all.data.len());
    assert!(
        vs.search(&vs_id, &SearchParams::new("flour").score_threshold(1.0)).expect("1.0").data.is_empty()
    );

    assert_eq!(invalid_parameter(vs.search(&vs_id, &SearchParams::new(""))), "query");
    assert_eq!(
        invalid_parameter(vs.search(&vs_id, &SearchParams::new("x").max_num_results(0))),
        "max_num_results"
    );
    assert_eq!(
        invalid_parameter(vs.search(&vs_id, &SearchParams::new("x").max_num_results(51))),
        "max_num_results"
    );
    assert_eq!(
        invalid_parameter(vs.search(&vs_id, &SearchParams::new("x").score_threshold(1.5))),
        "ranking_options.score_threshold"
    );
}

#[test]
fn search_is_safe_against_fts_syntax() {
    let (_dir, store, vs_id, ids) = search_fixture();
    let vs = store.vector_stores();
    for query in ["?!", "...", "\"", "*", "()", "-", "^", ":", "''", "\"\"\"", "((("] {
        let page = vs.search(&vs_id, &SearchParams::new(query)).unwrap_or_else(|e| panic!("{query:?}: {e}"));
        assert!(page.data.is_empty(), "{query:?} found {:?}", page.data);
    }
    for query in [
        "\"unbalanced flour",
        "flour AND",
        "NEAR(flour yeast, 2)",
        "text:flour",
        "flour*",
        "^flour",
        "OR NOT AND",
        "flour -yeast",
        "{text}: flour",
        "flour\0yeast",
    ] {
        let page = vs.search(&vs_id, &SearchParams::new(query)).unwrap_or_else(|e| panic!("{query:?}: {e}"));
        if query.contains("flour") {
            assert!(page.data.iter().any(|h| h.file_id == ids[0] || h.file_id == ids[3]), "{query:?}");
        }
    }
}

#[test]
fn search_only_sees_the_stores_own_files() {
    let (_dir, store) = open_store();
    let vs = store.vector_stores();
    let shared = text_file(&store, "shared.txt", "comet tails point away from the sun");
    let only_b = text_file(&store, "b.txt", "a comet is a dirty snowball");
    let a = vs.create(&VectorStoreCreateParams::new().file_ids([shared.clone()])).expect("a");
    let b = vs.create(&VectorStoreCreateParams::new().file_ids([shared.clone(), only_b.clone()])).expect("b");
    let in_a = vs.search(&a.id, &SearchParams::new("comet")).expect("a");
    assert_eq!(in_a.data.iter().map(|h| h.file_id.clone()).collect::<Vec<_>>(), vec![shared.clone()]);
    let in_b = vs.search(&b.id, &SearchParams::new("comet")).expect("b");
    assert_eq!(in_b.data.len(), 2);
    // Detached files are no longer found.
    vs.detach_file(&b.id, &only_b).expect("detach");
    assert_eq!(vs.search(&b.id, &SearchParams::new("snowball")).expect("b").data.len(), 0);
}

#[test]
fn search_finds_a_stores_file_ranked_below_many_of_other_stores_and_filtered_files() {
    let (_dir, store) = open_store();
    let vs = store.vector_stores();
    // 100 files that rank high for "comet", in another store and filtered out of this one.
    let strong: Vec<String> =
        (0..100).map(|i| text_file(&store, &format!("s{i}.txt"), "comet comet comet comet")).collect();
    let weak = text_file(&store, "weak.txt", "one comet among many other words in a longer text about skies");
    vs.create(&VectorStoreCreateParams::new().file_ids(strong[..50].to_vec())).expect("other store");
    let mine = vs
        .create(&VectorStoreCreateParams::new().file_ids(strong[50..].iter().cloned().chain([weak.clone()])))
        .expect("my store");
    for id in &strong[50..] {
        vs.update_file_attributes(&mine.id, id, Some(map(json!({"kind": "noise"})))).expect("attributes");
    }
    vs.update_file_attributes(&mine.id, &weak, Some(map(json!({"kind": "signal"})))).expect("attributes");
    let page = vs
        .search(&mine.id, &SearchParams::new("comet").max_num_results(1).filters(Filter::ne("kind", "noise")))
        .expect("search");
    assert_eq!(page.data.iter().map(|h| h.file_id.as_str()).collect::<Vec<_>>(), [weak.as_str()]);
    assert!(!page.has_more);
    let all = vs.search(&mine.id, &SearchParams::new("comet").max_num_results(50)).expect("unfiltered");
    assert_eq!(all.data.len(), 50);
    assert!(all.has_more);
    assert!(all.data.iter().all(|h| h.file_id != weak), "the weak match ranks below the 50 strong ones");
}

#[test]
fn long_files_are_chunked_with_overlap() {
    let (_dir, store) = crate::open_store_with(codex_compat::StoreOptions::default().chunking(200, 50));
    let vs = store.vector_stores();
    let mut text = String::new();
    for i in 0..100 {
        text.push_str(&format!("sentence number {i} talks about filler. "));
    }
    text.push_str("The needle is a zeppelin.");
    let id = text_file(&store, "long.txt", &text);
    let created = vs.create(&VectorStoreCreateParams::new().file_ids([id.clone()])).expect("create");
    assert_eq!(created.usage_bytes, text.len() as u64);
    let page = vs.search(&created.id, &SearchParams::new("zeppelin")).expect("search");
    assert_eq!(page.data.len(), 1);
    let chunk = &page.data[0].content[0].text;
    assert!(chunk.len() <= 200 && chunk.contains("zeppelin"), "{chunk:?}");
    let filler = vs.search(&created.id, &SearchParams::new("filler").max_num_results(50)).expect("filler");
    assert!(filler.data.len() > 10, "many chunks of one file: {}", filler.data.len());
    assert!(filler.data.iter().all(|h| h.file_id == id));
}

#[test]
fn expired_stores_report_expired_and_refuse_search_until_renewed() {
    let (dir, store) = open_store();
    let vs = store.vector_stores();
    let a = text_file(&store, "a.txt", "lighthouse keeper");
    let created =
        vs.create(&VectorStoreCreateParams::new().file_ids([a]).expires_after_days(1)).expect("create");
    // Age the store by two days, directly in the database.
    let db = rusqlite::Connection::open(dir.path().join("compat").join(DATABASE_FILE)).expect("open db");
    db.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
    db.execute("UPDATE vector_stores SET last_active_at = last_active_at - 2 * 86400", []).expect("age");
    drop(db);
    let expired = vs.retrieve(&created.id).expect("retrieve");
    assert_eq!(expired.status, "expired");
    assert_eq!(
        invalid_parameter(vs.search(&created.id, &SearchParams::new("lighthouse"))),
        "vector_store_id"
    );
    let renewed = vs.update(&created.id, &VectorStoreUpdateParams::new().name("renewed")).expect("renew");
    assert_eq!(renewed.status, "completed");
    assert_eq!(vs.search(&created.id, &SearchParams::new("lighthouse")).expect("search").data.len(), 1);
}

#[test]
fn search_params_read_openai_json() {
    let params: SearchParams = serde_json::from_value(json!({
        "query": "flour",
        "max_num_results": 3,
        "filters": {"type": "eq", "key": "topic", "value": "food"},
        "ranking_options": {"ranker": "auto", "score_threshold": 0.1},
        "rewrite_query": false
    }))
    .expect("parses");
    assert_eq!(
        params,
        SearchParams::new("flour")
            .max_num_results(3)
            .filters(Filter::eq("topic", "food"))
            .score_threshold(0.1)
    );
    let many: SearchParams =
        serde_json::from_value(json!({"query": ["wild yeast", "starter"]})).expect("list form");
    assert_eq!(many.query, "wild yeast starter");
}
