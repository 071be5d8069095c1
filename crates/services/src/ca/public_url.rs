//! The CA hierarchy's public base URL: where relying parties fetch CA certificates, CRLs
//! and OCSP answers (the AIA and CRL distribution point URLs of every certificate hang
//! under it). It belongs to the hierarchy, not to a process's flags: the first start
//! records it, `serve` and every command line use the recorded one, and only
//! `certhall ca set-public-url` changes it (audited). A `--public-url` that disagrees with
//! the record is refused, saying how to change it: a command line that silently wrote
//! `http://127.0.0.1:8080` into certificates made them fail path validation.

use domain::AuditAction;
use store::Store;

use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// The name of the record in the `installation` table.
const RECORD: &str = "public_url";

/// What a first start records when no URL is given.
pub const DEFAULT: &str = "http://127.0.0.1:8080";

/// `url` as recorded: `http(s)://host[:port][/path]`, no query, fragment or trailing slash.
pub fn parse(url: &str) -> Result<String, ServiceError> {
    let url = url.trim().trim_end_matches('/');
    let invalid = |why: &str, why_zh: &str| {
        ServiceError::new(
            ErrorKind::Invalid,
            "invalid_public_url",
            format!("public URL {url:?}: {why}"),
            format!("对外地址“{url}”{why_zh}"),
        )
        .with_field("public_url")
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(invalid(
            "must start with http:// or https://",
            "须以 http:// 或 https:// 开头",
        ));
    };
    if scheme != "http" && scheme != "https" {
        return Err(invalid(
            "must start with http:// or https://",
            "须以 http:// 或 https:// 开头",
        ));
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return Err(invalid("names no host", "缺少主机名"));
    }
    if url.contains(['?', '#', ' ']) || url.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(invalid(
            "may hold no query, fragment, space or non-ASCII character",
            "不能包含查询串、片段、空格或非 ASCII 字符",
        ));
    }
    Ok(url.to_string())
}

/// The URL this process uses: the recorded one; on first start `given` (or [`DEFAULT`]),
/// recorded. A `given` that disagrees with the record is refused.
pub(crate) async fn settle(store: &Store, given: Option<&str>) -> Result<String, ServiceError> {
    let given = given.map(parse).transpose()?;
    // One transaction: two processes starting at once record one URL.
    let mut tx = store.begin_write().await?;
    if let Some(recorded) = store::installation::get(&mut tx, RECORD).await? {
        return match given {
            Some(given) if given != recorded => Err(ServiceError::new(
                ErrorKind::Conflict,
                "public_url_differs",
                format!(
                    "--public-url {given} differs from the recorded public URL {recorded}, which certificates already carry; \
                     drop the flag, or change the record with `certhall ca set-public-url {given}`"
                ),
                format!(
                    "--public-url {given} 与已记录的对外地址 {recorded} 不一致（已签发的证书中使用的是后者）；\
                     请去掉该参数，或用 `certhall ca set-public-url {given}` 修改记录"
                ),
            )
            .with_field("public_url")),
            _ => Ok(recorded),
        };
    }
    let url = given.unwrap_or_else(|| DEFAULT.to_string());
    store::installation::set(&mut tx, RECORD, &url).await?;
    crate::audit::record(
        &mut tx,
        &Actor::System,
        AuditAction::CaPublicUrlSet,
        "installation:public_url",
        serde_json::json!({"to": url, "first_start": true}),
    )
    .await?;
    tx.commit().await?;
    Ok(url)
}

/// Changes the recorded URL (the command line or an administrator; audited). Returns the
/// previous one. Certificates already issued keep the URLs they were issued with: the old
/// address must keep answering until they expire. Running servers pick it up at restart.
pub async fn change(app: &App, actor: &Actor, url: &str) -> Result<String, ServiceError> {
    actor.require_any(&[domain::Role::Admin])?;
    let url = parse(url)?;
    let mut tx = app.store.begin_write().await?;
    let previous = store::installation::get(&mut tx, RECORD)
        .await?
        .unwrap_or_else(|| DEFAULT.to_string());
    store::installation::set(&mut tx, RECORD, &url).await?;
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::CaPublicUrlSet,
        "installation:public_url",
        serde_json::json!({"from": previous, "to": url}),
    )
    .await?;
    tx.commit().await?;
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn public_urls_are_plain_http_or_https_bases() {
        assert_eq!(
            parse("https://ca.example.cn/").unwrap(),
            "https://ca.example.cn"
        );
        assert_eq!(
            parse("http://10.0.0.1:8080/pki").unwrap(),
            "http://10.0.0.1:8080/pki"
        );
        for bad in [
            "ca.example.cn",
            "ftp://x",
            "https://",
            "https://a/b?c",
            "https://u@h",
            "https://证书.cn",
        ] {
            assert_eq!(
                parse(bad).unwrap_err().field.as_deref(),
                Some("public_url"),
                "{bad}"
            );
        }
    }
}
