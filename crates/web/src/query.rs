//! API query strings (`?limit=…&status=…`), read the way bodies are ([`crate::json_body`]):
//! a parameter that is not what the operation takes (not a number, out of range for its
//! type, given twice) is 422 in the API's error format, naming the parameter, instead of
//! axum's plain-text 400.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::lang::from_accept_language;

/// The query string of an API request, as `T`.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer = serde_html_form::Deserializer::from_bytes(query.as_bytes());
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|error| {
                let detail = error.inner().to_string();
                let path = error.path().to_string();
                // A fault of the whole query (a parameter given twice) names it in the text.
                let field = if path == "." {
                    detail.split('`').nth(1).unwrap_or("query").to_string()
                } else {
                    path
                };
                ApiError::invalid(
                    from_accept_language(&parts.headers),
                    "invalid_query",
                    &field,
                    format!("query parameter {field}: {detail}"),
                    format!("查询参数 {field} 的值无效"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    #[derive(serde::Deserialize, Debug)]
    struct Q {
        #[allow(dead_code)]
        limit: Option<i64>,
        #[allow(dead_code)]
        status: Option<String>,
    }

    async fn read(uri: &str) -> Result<ApiQuery<Q>, ApiError> {
        let (mut parts, ()) = Request::get(uri).body(()).unwrap().into_parts();
        ApiQuery::<Q>::from_request_parts(&mut parts, &()).await
    }

    #[tokio::test]
    async fn a_parameter_it_cannot_read_is_named() {
        assert!(read("/x?limit=5&status=sent").await.is_ok());
        assert!(read("/x").await.is_ok());
        let e = read("/x?limit=9223372036854775808").await.err().unwrap();
        assert_eq!(e.error.field.as_deref(), Some("limit"));
        assert_eq!(e.error.code, "invalid_query");
        let e = read("/x?status=a&status=b").await.err().unwrap();
        assert_eq!(e.error.field.as_deref(), Some("status"));
        assert_eq!(e.error.message_zh, "查询参数 status 的值无效");
    }
}
