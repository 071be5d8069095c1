//! JSON request bodies whose every fault is an API error naming the field: a wrong type at
//! `addresses[0].phone`, a missing `code`, an unknown `colour`, or where the JSON breaks.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use domain::Lang;

use crate::error::ApiError;
use crate::lang::from_accept_language;

/// A JSON body of type `T`, checked for its content type, size and shape.
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = from_accept_language(req.headers());
        if !is_json(req.headers()) {
            let error = ApiError::invalid(
                lang,
                "content_type",
                "body",
                "the request must be JSON (Content-Type: application/json)",
                "请求须为 JSON（Content-Type: application/json）",
            );
            return Err(with_status(error, StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            let error = ApiError::invalid(
                lang,
                "body_too_large",
                "body",
                rejection.body_text(),
                "请求体过大或无法读取",
            );
            // 413 for a body over the limit; 400 for one that could not be read.
            with_status(error, status)
        })?;
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut json)
            .map_err(|e| BodyFault::of(&e).into_error(lang).into_response())?;
        // Trailing characters after the value are as wrong as a broken value.
        json.end()
            .map_err(|e| BodyFault::syntax(&e).into_error(lang).into_response())?;
        Ok(ApiJson(value))
    }
}

fn with_status(error: ApiError, status: StatusCode) -> Response {
    let mut response = error.into_response();
    *response.status_mut() = status;
    response
}

/// `application/json` or any `application/…+json`, with or without parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// What is wrong with a body, and where.
#[derive(Debug, PartialEq, Eq)]
enum BodyFault {
    /// Not JSON at all, or cut short: where it breaks.
    Syntax {
        line: usize,
        column: usize,
    },
    Missing {
        field: String,
    },
    Unknown {
        field: String,
    },
    /// A value of the wrong type or out of range: serde's words for it.
    WrongValue {
        field: String,
        detail: String,
    },
}

impl BodyFault {
    fn of(error: &serde_path_to_error::Error<serde_json::Error>) -> Self {
        let inner = error.inner();
        if matches!(
            inner.classify(),
            Category::Syntax | Category::Eof | Category::Io
        ) {
            return Self::syntax(inner);
        }
        // serde_json's message is serde's ("missing field `code`") plus " at line 1 column 9".
        let message = inner.to_string();
        let detail = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m)
            .to_string();
        // serde_path_to_error prints the top level as ".".
        let path = error.path().to_string();
        let at_top = path == ".";
        if let Some(name) = quoted_after(&detail, "missing field ") {
            // A missing field's path is the object that lacks it.
            let field = if at_top {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            Self::Missing { field }
        } else if let Some(name) = quoted_after(&detail, "unknown field ") {
            // An unknown field's path already ends at it.
            let field = if at_top { name.to_string() } else { path };
            Self::Unknown { field }
        } else {
            let field = if at_top { "body".to_string() } else { path };
            Self::WrongValue { field, detail }
        }
    }

    fn syntax(error: &serde_json::Error) -> Self {
        Self::Syntax {
            line: error.line(),
            column: error.column(),
        }
    }

    fn into_error(self, lang: Lang) -> ApiError {
        match self {
            Self::Syntax { line, column } => ApiError::invalid(
                lang,
                "invalid_json",
                "body",
                format!("the body is not valid JSON (line {line}, column {column})"),
                format!("请求体不是有效的 JSON（第 {line} 行第 {column} 列）"),
            ),
            Self::Missing { field } => ApiError::invalid(
                lang,
                "missing_field",
                &field,
                format!("{field} is required"),
                format!("缺少必填字段 {field}"),
            ),
            Self::Unknown { field } => ApiError::invalid(
                lang,
                "unknown_field",
                &field,
                format!("{field} is not a field of this request"),
                format!("{field} 不是此请求的字段"),
            ),
            Self::WrongValue { field, detail } => {
                let zh = format!("字段 {field} {}", wrong_value_zh(&detail));
                ApiError::invalid(
                    lang,
                    "invalid_value",
                    &field,
                    format!("{field}: {detail}"),
                    zh,
                )
            }
        }
    }
}

/// serde's "invalid type: integer `5`, expected a string" in Chinese: what was given and
/// what was wanted, in the words of JSON rather than Rust.
fn wrong_value_zh(detail: &str) -> String {
    fn json_kind(rust: &str) -> &'static str {
        let rust = rust.trim_start_matches("a ").trim_start_matches("an ");
        match rust {
            r if r.starts_with("string") || r.starts_with("char") => "字符串",
            r if r.starts_with("bool") => "布尔值（true/false）",
            r if r.starts_with("integer") || r.starts_with("floating point") => "数字",
            r if is_rust_integer(r) => "整数",
            r if r.starts_with("sequence") => "数组",
            r if r.starts_with("map") || r.starts_with("struct") => "对象",
            r if r.starts_with("null") || r.starts_with("unit") => "空值（null）",
            _ => "其他值",
        }
    }
    /// u8 … u128, usize, i8 … isize: serde names the wanted type by its Rust name.
    fn is_rust_integer(name: &str) -> bool {
        let size = name
            .strip_prefix('u')
            .or_else(|| name.strip_prefix('i'))
            .unwrap_or("");
        size == "size" || (!size.is_empty() && size.chars().all(|c| c.is_ascii_digit()))
    }
    if let Some(rest) = detail.strip_prefix("invalid type: ")
        && let Some((got, wanted)) = rest.split_once(", expected ")
    {
        return format!("应为{}，收到的是{}", json_kind(wanted), json_kind(got));
    }
    if detail.starts_with("invalid value: integer") || detail.starts_with("invalid value: floating")
    {
        return "的数值超出允许范围".to_string();
    }
    if detail.starts_with("unknown variant ") {
        return format!("的取值不在允许的范围内（{detail}）");
    }
    format!("的值不对（{detail}）")
}

/// The name in backquotes right after `prefix`: "missing field `code`" gives "code".
fn quoted_after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?
        .strip_prefix('`')?
        .split('`')
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Address {
        phone: String,
        #[serde(default)]
        is_default: bool,
    }

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Body {
        name: String,
        years: u8,
        #[serde(default)]
        addresses: Vec<Address>,
    }

    fn fault(text: &str) -> BodyFault {
        let mut json = serde_json::Deserializer::from_slice(text.as_bytes());
        let result: Result<Body, _> = serde_path_to_error::deserialize(&mut json);
        BodyFault::of(&result.expect_err(text))
    }

    #[test]
    fn each_fault_names_its_field() {
        assert_eq!(
            fault(r#"{"years": 1}"#),
            BodyFault::Missing {
                field: "name".into()
            }
        );
        assert_eq!(
            fault(r#"{"name": "a", "years": 1, "colour": "red"}"#),
            BodyFault::Unknown {
                field: "colour".into()
            }
        );
        assert_eq!(
            fault(r#"{"name": "a", "years": 1, "addresses": [{"is_default": true}]}"#),
            BodyFault::Missing {
                field: "addresses[0].phone".into()
            }
        );
        let BodyFault::WrongValue { field, detail } =
            fault(r#"{"name": "a", "years": 1, "addresses": [{"phone": 13800138000}]}"#)
        else {
            panic!("a wrong type")
        };
        assert_eq!(field, "addresses[0].phone");
        assert!(detail.starts_with("invalid type: integer"), "{detail}");
        assert_eq!(wrong_value_zh(&detail), "应为字符串，收到的是数字");
        let BodyFault::WrongValue { field, detail } = fault(r#"{"name": "a", "years": 300}"#)
        else {
            panic!("out of range")
        };
        assert_eq!(field, "years");
        assert_eq!(wrong_value_zh(&detail), "的数值超出允许范围");
        let BodyFault::WrongValue { detail, .. } = fault(r#"{"name": "a", "years": "1"}"#) else {
            panic!("a string for a number")
        };
        assert_eq!(wrong_value_zh(&detail), "应为整数，收到的是字符串");
        assert_eq!(
            wrong_value_zh("invalid type: unit value, expected u16"),
            "应为整数，收到的是空值（null）"
        );
        assert_eq!(
            wrong_value_zh("invalid type: map, expected a boolean"),
            "应为布尔值（true/false），收到的是对象"
        );
        let BodyFault::WrongValue { field, .. } = fault(r#""just text""#) else {
            panic!("not an object")
        };
        assert_eq!(field, "body");
    }

    #[test]
    fn broken_json_says_where() {
        assert_eq!(
            fault("{\"name\": \"a\",\n \"years\": }"),
            BodyFault::Syntax {
                line: 2,
                column: 11
            }
        );
        assert!(matches!(fault(r#"{"name": "a""#), BodyFault::Syntax { .. }));
        assert!(matches!(fault(""), BodyFault::Syntax { .. }));
    }

    #[test]
    fn json_content_types() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
