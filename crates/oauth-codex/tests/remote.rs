//! Files, vector stores and token counting on an OpenAI-compatible server (unary JSON and
//! multipart exchanges, mocked with httpmock).

use httpmock::Method::{DELETE, GET, POST};
use httpmock::MockServer;
use oauth_codex::{
    AsyncOAuthCodexClient, Error, ErrorKind, FileSource, ListParams, Profile, ResponseCreateParams,
    SearchParams, VectorStoreCreateParams, VectorStoreUpdateParams,
};
use serde_json::json;

fn file_json() -> serde_json::Value {
    json!({"id": "file-1", "object": "file", "bytes": 5, "created_at": 1764460800, "filename": "notes.txt", "purpose": "assistants"})
}

fn store_json(name: &str) -> serde_json::Value {
    json!({"id": "vs_1", "object": "vector_store", "created_at": 1764460800, "name": name, "usage_bytes": 5,
        "file_counts": {"in_progress": 0, "completed": 1, "failed": 0, "cancelled": 0, "total": 1},
        "status": "completed", "expires_at": null, "last_active_at": 1764460800, "metadata": null})
}

#[tokio::test]
async fn files_and_vector_stores_go_to_the_server() {
    let server = MockServer::start_async().await;
    let client =
        AsyncOAuthCodexClient::builder().base_url(server.url("/v1")).api_key("sk-test").build().unwrap();
    assert_eq!(client.profile(), Profile::OpenAiCompatible);

    let upload = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/files")
                .header("authorization", "Bearer sk-test")
                .header_prefix("content-type", "multipart/form-data; boundary=")
                .body_includes("name=\"purpose\"\r\n\r\nassistants\r\n")
                .body_includes("name=\"file\"; filename=\"notes.txt\"")
                .body_includes("\r\n\r\nhello\r\n--");
            then.status(200).json_body(file_json());
        })
        .await;
    let file =
        client.files().create(FileSource::bytes("notes.txt", "hello"), "assistants", None).await.unwrap();
    upload.assert_async().await;
    assert_eq!(file.id, "file-1");

    let retrieve = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/files/file-1");
            then.status(200).json_body(file_json());
        })
        .await;
    client.files().retrieve("file-1").await.unwrap();
    retrieve.assert_async().await;

    let list = server.mock_async(|when, then| {
        when.method(GET).path("/v1/files").query_param("limit", "1").query_param("order", "asc");
        then.status(200).json_body(json!({"object": "list", "data": [file_json()], "first_id": "file-1", "last_id": "file-1", "has_more": true}));
    }).await;
    let page =
        client.files().list(ListParams::default().limit(1).order(oauth_codex::Order::Asc)).await.unwrap();
    list.assert_async().await;
    assert!(page.has_more);

    let content = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/files/file-1/content");
            then.status(200).body("hello");
        })
        .await;
    assert_eq!(client.files().content("file-1").await.unwrap(), b"hello");
    content.assert_async().await;

    let create = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/vector_stores")
                .json_body_includes(json!({"name": "docs", "file_ids": ["file-1"]}).to_string());
            then.status(200).json_body(store_json("docs"));
        })
        .await;
    let store = client
        .vector_stores()
        .create(VectorStoreCreateParams::new().name("docs").file_ids(["file-1"]))
        .await
        .unwrap();
    create.assert_async().await;
    assert_eq!(store.file_counts.completed, 1);

    let update = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/vector_stores/vs_1").json_body(json!({"name": "renamed"}));
            then.status(200).json_body(store_json("renamed"));
        })
        .await;
    client.vector_stores().update("vs_1", VectorStoreUpdateParams::new().name("renamed")).await.unwrap();
    update.assert_async().await;
    let refused = client
        .vector_stores()
        .update("vs_1", VectorStoreUpdateParams::new().file_ids(["file-2"]))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::ParameterValidation(ref e) if e.parameter == "file_ids"), "{refused}");

    let search = server.mock_async(|when, then| {
        when.method(POST).path("/v1/vector_stores/vs_1/search").json_body_includes(json!({"query": "hello"}).to_string());
        then.status(200).json_body(json!({"object": "vector_store.search_results.page", "search_query": "hello", "has_more": false, "next_page": null,
            "data": [{"file_id": "file-1", "filename": "notes.txt", "score": 0.9, "attributes": null, "content": [{"type": "text", "text": "hello"}]}]}));
    }).await;
    let hits = client.vector_stores().search("vs_1", SearchParams::new("hello")).await.unwrap();
    search.assert_async().await;
    assert_eq!(hits.data[0].score, 0.9);

    let detach = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v1/vector_stores/vs_1/files/file-1");
            then.status(200)
                .json_body(json!({"id": "file-1", "object": "vector_store.file.deleted", "deleted": true}));
        })
        .await;
    assert!(client.vector_stores().detach_file("vs_1", "file-1").await.unwrap().deleted);
    detach.assert_async().await;

    let missing = server.mock_async(|when, then| {
        when.method(DELETE).path("/v1/files/file-404");
        then.status(404).json_body(json!({"error": {"message": "No such File object: file-404", "type": "invalid_request_error", "code": null}}));
    }).await;
    let error = client.files().delete("file-404").await.unwrap_err();
    missing.assert_async().await;
    assert_eq!(error.as_request().unwrap().kind.clone(), ErrorKind::NotFound);
}

#[tokio::test]
async fn input_tokens_are_counted_by_the_server() {
    let server = MockServer::start_async().await;
    let client =
        AsyncOAuthCodexClient::builder().base_url(server.url("/v1")).api_key("sk-test").build().unwrap();
    let count = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/responses/input_tokens")
                .json_body_includes(json!({"model": "gpt-5.2"}).to_string());
            then.status(200).json_body(json!({"object": "response.input_tokens", "input_tokens": 42}));
        })
        .await;
    let counted =
        client.responses().input_tokens().count(ResponseCreateParams::new("gpt-5.2", "hello")).await.unwrap();
    count.assert_async().await;
    assert_eq!((counted.input_tokens, counted.counted_locally), (42, false));
}
