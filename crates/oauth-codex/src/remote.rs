//! Files and vector stores on an OpenAI-compatible server: the same calls as the local
//! stand-ins, sent to the server's `/files` and `/vector_stores` endpoints.

use bytes::Bytes;
use codex_compat::{
    FileSource, ListParams, Order, SearchParams, VectorStoreCreateParams, VectorStoreUpdateParams,
};
use codex_schema::{ParameterValidationError, WarningCode};
use codex_transport::{HttpRequest, Method, RequestBody};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::client::AsyncOAuthCodexClient;
use crate::error::{Error, Result};

fn list_query(mut request: HttpRequest, params: &ListParams) -> HttpRequest {
    if let Some(limit) = params.limit {
        request = request.query("limit", limit.to_string());
    }
    request = request.query("order", if params.order == Order::Asc { "asc" } else { "desc" });
    if let Some(after) = &params.after {
        request = request.query("after", after.clone());
    }
    if let Some(before) = &params.before {
        request = request.query("before", before.clone());
    }
    request
}

fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// Reads a file source into (file name, bytes).
fn read_source(source: FileSource) -> Result<(String, Vec<u8>)> {
    let read_error = |e: std::io::Error| Error::Compat(format!("could not read the file to upload: {e}"));
    match source {
        FileSource::Path(path) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".to_owned());
            Ok((name, std::fs::read(&path).map_err(read_error)?))
        }
        FileSource::Bytes { filename, data } => Ok((filename, data)),
        FileSource::Reader { filename, mut reader } => {
            let mut data = Vec::new();
            reader.read_to_end(&mut data).map_err(read_error)?;
            Ok((filename, data))
        }
    }
}

/// A `multipart/form-data` body (RFC 7578) of text fields and one file.
fn multipart(fields: &[(String, String)], filename: &str, data: &[u8]) -> (String, Bytes) {
    let boundary = format!("oauth-codex-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::with_capacity(data.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    // Quotes and line breaks cannot appear inside the quoted file name.
    let safe: String =
        filename.chars().map(|c| if matches!(c, '"' | '\r' | '\n') { '_' } else { c }).collect();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), Bytes::from(body))
}

impl AsyncOAuthCodexClient {
    pub(crate) async fn remote_json<T: DeserializeOwned>(&self, request: HttpRequest) -> Result<T> {
        let request = request.options(self.inner.default_options.clone());
        Ok(self.inner.transport.send(request).await?.json()?)
    }

    pub(crate) async fn remote_bytes(&self, request: HttpRequest) -> Result<Vec<u8>> {
        let request = request.options(self.inner.default_options.clone());
        Ok(self.inner.transport.send(request).await?.body.to_vec())
    }

    pub(crate) async fn remote_file_create<T: DeserializeOwned>(
        &self,
        source: FileSource,
        purpose: &str,
        metadata: Option<Map<String, Value>>,
    ) -> Result<T> {
        if purpose.trim().is_empty() {
            return Err(Error::ParameterValidation(ParameterValidationError {
                code: WarningCode::InvalidArgument,
                parameter: "purpose".to_owned(),
                message: "`purpose` must be non-empty, e.g. \"assistants\" or \"user_data\"".to_owned(),
            }));
        }
        let (filename, data) = tokio::task::spawn_blocking(move || read_source(source))
            .await
            .map_err(|e| Error::Compat(format!("the upload task failed: {e}")))??;
        let mut fields = vec![("purpose".to_owned(), purpose.to_owned())];
        for (key, value) in metadata.unwrap_or_default() {
            let text = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
            fields.push((format!("metadata[{key}]"), text));
        }
        let (content_type, bytes) = multipart(&fields, &filename, &data);
        let mut request = HttpRequest::new(Method::POST, "files");
        request.body = Some(RequestBody::Raw { content_type, bytes });
        self.remote_json(request).await
    }
}

pub(crate) fn get(path: String) -> HttpRequest {
    HttpRequest::new(Method::GET, path)
}

pub(crate) fn delete(path: String) -> HttpRequest {
    HttpRequest::new(Method::DELETE, path)
}

pub(crate) fn list(path: &str, params: &ListParams) -> HttpRequest {
    list_query(HttpRequest::new(Method::GET, path), params)
}

pub(crate) fn file_path(id: &str) -> String {
    format!("files/{}", segment(id))
}

pub(crate) fn store_path(id: &str) -> String {
    format!("vector_stores/{}", segment(id))
}

pub(crate) fn create_store(params: &VectorStoreCreateParams) -> HttpRequest {
    HttpRequest::post_json("vector_stores", serde_json::to_value(params).expect("params serialize"))
}

/// OpenAI's update body; `file_ids` is not part of it (attach and detach instead).
pub(crate) fn update_store(id: &str, params: &VectorStoreUpdateParams) -> Result<HttpRequest> {
    if params.file_ids.is_some() {
        return Err(Error::ParameterValidation(ParameterValidationError {
            code: WarningCode::InvalidArgument,
            parameter: "file_ids".to_owned(),
            message:
                "a remote server's vector-store update does not take file_ids; attach or detach files instead"
                    .to_owned(),
        }));
    }
    let mut body = Map::new();
    if let Some(name) = &params.name {
        body.insert("name".to_owned(), json!(name));
    }
    if let Some(metadata) = &params.metadata {
        body.insert("metadata".to_owned(), json!(metadata));
    }
    if let Some(expires_after) = &params.expires_after {
        body.insert("expires_after".to_owned(), json!(expires_after));
    }
    Ok(HttpRequest::post_json(store_path(id), Value::Object(body)))
}

pub(crate) fn search(id: &str, params: &SearchParams) -> HttpRequest {
    HttpRequest::post_json(
        format!("{}/search", store_path(id)),
        serde_json::to_value(params).expect("params serialize"),
    )
}

pub(crate) fn attach(id: &str, file_id: &str, attributes: Option<Map<String, Value>>) -> HttpRequest {
    let mut body = json!({"file_id": file_id});
    if let Some(attributes) = attributes {
        body["attributes"] = Value::Object(attributes);
    }
    HttpRequest::post_json(format!("{}/files", store_path(id)), body)
}

pub(crate) fn store_file_path(id: &str, file_id: &str) -> String {
    format!("{}/files/{}", store_path(id), segment(file_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_are_well_formed() {
        let (content_type, body) =
            multipart(&[("purpose".to_owned(), "assistants".to_owned())], "a\"b.txt", b"hello");
        let boundary = content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.starts_with(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n"
        )));
        assert!(text.contains("filename=\"a_b.txt\""));
        assert!(text.ends_with(&format!("\r\nhello\r\n--{boundary}--\r\n")));
    }
}
