//! The SMTP and HTTP SMS gateway providers against real local servers: what they send, and
//! how answers map to delivered, retry later, or refused.

use std::sync::{Arc, Mutex};

use base64::Engine;
use certhall_providers::notify::sms_gateway::{HttpSmsGateway, signature};
use certhall_providers::notify::smtp::SmtpNotifier;
use certhall_providers::notify::{Message, Notifier};
use domain::MessageKind;
use domain::time::{Clock, SystemClock};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn message(kind: &str, to: &str) -> Message {
    Message {
        kind: MessageKind::parse(kind).unwrap(),
        to: to.into(),
        template: "test".into(),
        subject: "通知测试".into(),
        text: "这是一条测试消息。".into(),
        idempotency_key: "test:1/x".into(),
    }
}

/// The gateway's timestamps must be near the receiver's clock: the real one.
fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A minimal SMTP server: answers RCPT with `rcpt_reply`, records the session.
async fn smtp_server(rcpt_reply: &'static str) -> (u16, Arc<Mutex<String>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let transcript = Arc::new(Mutex::new(String::new()));
    let log = transcript.clone();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 test ESMTP\r\n").await.unwrap();
        let mut in_data = false;
        while let Ok(Some(line)) = lines.next_line().await {
            log.lock().unwrap().push_str(&format!("{line}\n"));
            let reply: &[u8] = if in_data {
                if line == "." {
                    in_data = false;
                    b"250 queued\r\n"
                } else {
                    continue;
                }
            } else {
                match line
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase()
                    .as_str()
                {
                    "EHLO" | "HELO" => b"250 test\r\n",
                    "MAIL" => b"250 ok\r\n",
                    "RCPT" => rcpt_reply.as_bytes(),
                    "DATA" => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                }
            };
            write.write_all(reply).await.unwrap();
        }
    });
    (port, transcript)
}

#[tokio::test]
async fn smtp_delivers_utf8_mail_and_classifies_refusals() {
    let (port, transcript) = smtp_server("250 ok\r\n").await;
    let smtp = SmtpNotifier::new(
        &format!("smtp://127.0.0.1:{port}"),
        "CertHall <noreply@ca.example.cn>",
    )
    .unwrap();
    smtp.send(&message("email", "ops@example.cn"))
        .await
        .unwrap();
    let text = transcript.lock().unwrap().clone();
    assert!(text.contains("RCPT TO:<ops@example.cn>"), "{text}");
    assert!(
        text.contains("From: CertHall <noreply@ca.example.cn>"),
        "{text}"
    );
    assert!(text.contains("Content-Transfer-Encoding: base64"), "{text}");
    let body: String = text
        .lines()
        .skip_while(|l| !l.is_empty())
        .skip(1)
        .take_while(|l| *l != ".")
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), "这是一条测试消息。");
    assert_eq!(
        smtp.was_delivered("x").await,
        None,
        "SMTP cannot tell afterwards"
    );

    let (port, _) = smtp_server("451 try later\r\n").await;
    let err = SmtpNotifier::new(&format!("smtp://127.0.0.1:{port}"), "noreply@ca.example.cn")
        .unwrap()
        .send(&message("email", "ops@example.cn"))
        .await
        .unwrap_err();
    assert!(err.retryable, "a 4xx answer is temporary: {}", err.reason);
    let (port, _) = smtp_server("550 no such user\r\n").await;
    let err = SmtpNotifier::new(&format!("smtp://127.0.0.1:{port}"), "noreply@ca.example.cn")
        .unwrap()
        .send(&message("email", "ops@example.cn"))
        .await
        .unwrap_err();
    assert!(!err.retryable, "a 5xx answer is a refusal: {}", err.reason);
    // Nothing listens there: temporary.
    let err = SmtpNotifier::new("smtp://127.0.0.1:1", "noreply@ca.example.cn")
        .unwrap()
        .send(&message("email", "ops@example.cn"))
        .await
        .unwrap_err();
    assert!(err.retryable);
    assert!(SmtpNotifier::new("ftp://x", "a@b.cn").is_err());
}

const SECRET: &[u8] = b"0123456789abcdef-gateway-secret";

/// A gateway that checks the signature and answers with `status`.
async fn gateway(status: u16) -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    use axum::http::{HeaderMap, StatusCode};
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let log = log.clone();
            async move {
                let get = |k: &str| {
                    headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string()
                };
                let timestamp: i64 = get("x-certhall-timestamp").parse().unwrap_or(0);
                if get("x-certhall-signature") != signature(SECRET, timestamp, &body)
                    || get("idempotency-key").is_empty()
                {
                    return StatusCode::UNAUTHORIZED;
                }
                log.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test]
async fn the_http_gateway_gets_signed_requests_and_its_answers_are_classified() {
    let (url, received) = gateway(200).await;
    let provider = HttpSmsGateway::new(&url, SECRET, clock()).unwrap();
    provider.send(&message("sms", "13800138000")).await.unwrap();
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["to"], "13800138000");
    assert_eq!(got[0]["text"], "这是一条测试消息。");
    assert_eq!(got[0]["idempotency_key"], "test:1/x");
    assert_eq!(
        provider.was_delivered("x").await,
        Some(false),
        "resending is safe: the gateway deduplicates"
    );

    let wrong_secret = HttpSmsGateway::new(&url, b"another-secret-of-16+", clock()).unwrap();
    let err = wrong_secret
        .send(&message("sms", "13800138000"))
        .await
        .unwrap_err();
    assert!(
        !err.retryable && err.reason.contains("401"),
        "{}",
        err.reason
    );
    for (status, retryable) in [(503, true), (429, true), (400, false)] {
        let (url, _) = gateway(status).await;
        let err = HttpSmsGateway::new(&url, SECRET, clock())
            .unwrap()
            .send(&message("sms", "13800138000"))
            .await
            .unwrap_err();
        assert_eq!(err.retryable, retryable, "{status}: {}", err.reason);
    }
    let err = HttpSmsGateway::new("http://127.0.0.1:1/sms", SECRET, clock())
        .unwrap()
        .send(&message("sms", "13800138000"))
        .await
        .unwrap_err();
    assert!(err.retryable, "unreachable is temporary");
    assert!(HttpSmsGateway::new(&url, b"short", clock()).is_err());
    assert!(HttpSmsGateway::new("ftp://x", SECRET, clock()).is_err());
}
