//! The identity providers: the sandbox's answers for its test identities, its face
//! sessions on the clock, its bank statement; and the HTTP adapter against a service that
//! speaks the signed-JSON protocol (it checks our signatures and signs its answers, and
//! can be told to misbehave), with the same answers coming through.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use certhall_providers::identity::http::{
    AnswerResult, FaceResult, FaceResultRequest, HttpIdentity,
};
use certhall_providers::identity::sandbox::SandboxIdentity;
use certhall_providers::identity::{
    Answer, Company, FaceState, IdentityError, IdentityVerifier, Person, PersonCheck, Transfer,
};
use certhall_providers::signing;
use domain::time::{Clock, SettableClock, UnixTime};

const SECRET: &[u8] = b"0123456789abcdef-identity-secret";

fn clock() -> Arc<SettableClock> {
    Arc::new(SettableClock::at(UnixTime::from_seconds(1_790_000_000)))
}

fn person(name: &str) -> Person {
    Person {
        name: name.into(),
        id_number: "11010519491231002X".into(),
    }
}

fn company(name: &str, legal: Option<&str>) -> Company {
    Company {
        name: name.into(),
        registration: "91350100M000100Y43".into(),
        legal_representative: legal.map(str::to_string),
    }
}

fn mobile(number: &str) -> PersonCheck {
    PersonCheck::Mobile {
        person: person("王法人"),
        mobile: number.into(),
    }
}

fn card(number: &str) -> PersonCheck {
    PersonCheck::BankCard {
        person: person("王法人"),
        card: "6222020200112233446".into(),
        mobile: number.into(),
    }
}

fn transfer(account: &str, key: &str) -> Transfer {
    Transfer {
        company: company("北京环保科技有限公司", None),
        bank: "工商银行北京分行".into(),
        account: account.into(),
        amount_fen: 37,
        remark: "CertHall认证码 482913".into(),
        idempotency_key: key.into(),
    }
}

/// Every answer of the sandbox's table, asked through `provider`.
async fn answers_of_every_kind(provider: &dyn IdentityVerifier) {
    let ok = company("北京环保科技有限公司", Some("王法人"));
    assert_eq!(provider.check_company(&ok).await, Ok(Answer::Match));
    for (name, legal, answer) in [
        ("查无此公司有限公司", None, Answer::NoSuchCompany),
        ("已注销科技有限公司", None, Answer::CompanyNotActive),
        (
            "北京环保科技有限公司",
            Some("李不符"),
            Answer::LegalRepresentativeMismatch,
        ),
    ] {
        assert_eq!(
            provider.check_company(&company(name, legal)).await,
            Ok(answer),
            "{name}"
        );
    }
    assert_eq!(
        provider
            .check_company(&company("超时科技有限公司", None))
            .await,
        Err(IdentityError::Timeout)
    );
    assert!(matches!(
        provider
            .check_company(&company("维护科技有限公司", None))
            .await,
        Err(IdentityError::Unavailable(_))
    ));

    assert_eq!(
        provider.check_person(&mobile("13800138000")).await,
        Ok(Answer::Match)
    );
    assert_eq!(
        provider.check_person(&mobile("13912340000")).await,
        Ok(Answer::Mismatch)
    );
    assert_eq!(
        provider.check_person(&mobile("13912340001")).await,
        Err(IdentityError::Timeout)
    );
    assert!(matches!(
        provider.check_person(&mobile("13912340002")).await,
        Err(IdentityError::Unavailable(_))
    ));
    assert_eq!(
        provider.check_person(&mobile("13912340003")).await,
        Ok(Answer::Match)
    );
    assert_eq!(
        provider.check_person(&card("13912340003")).await,
        Ok(Answer::Mismatch)
    );
    assert_eq!(
        provider.check_person(&card("13800138000")).await,
        Ok(Answer::Match)
    );

    assert_eq!(
        provider
            .send_transfer(&transfer("0200004509014412345", "t1"))
            .await,
        Ok(Answer::Match)
    );
    assert_eq!(
        provider
            .send_transfer(&transfer("0200004509014410000", "t2"))
            .await,
        Ok(Answer::AccountRefused)
    );
    assert!(matches!(
        provider
            .send_transfer(&transfer("0200004509014410002", "t3"))
            .await,
        Err(IdentityError::Unavailable(_))
    ));
}

#[tokio::test]
async fn the_sandbox_answers_by_its_test_identities() {
    let sandbox = SandboxIdentity::new(clock());
    answers_of_every_kind(&sandbox).await;
    // A transfer retried with its key is paid once.
    sandbox
        .send_transfer(&transfer("0200004509014412345", "t1"))
        .await
        .unwrap();
    let statement = sandbox.statement();
    assert_eq!(statement.len(), 1);
    assert_eq!(statement[0].amount_fen, 37);
    assert_eq!(statement[0].remark, "CertHall认证码 482913");
}

#[tokio::test]
async fn a_sandbox_face_check_is_finished_on_its_page_or_expires() {
    let clock = clock();
    let sandbox = SandboxIdentity::new(clock.clone());
    let session = sandbox.start_face(&person("王法人")).await.unwrap();
    assert!(session.url.ends_with(&session.reference));
    assert_eq!(
        sandbox.face_result(&session.reference).await,
        Ok(FaceState::Pending)
    );
    let view = sandbox.face(&session.reference).unwrap();
    assert_eq!(view.masked_name, "王**");
    assert_eq!(
        sandbox.complete_face(&session.reference, true),
        Some(FaceState::Passed)
    );
    // Finished is final.
    assert_eq!(
        sandbox.complete_face(&session.reference, false),
        Some(FaceState::Passed)
    );

    let late = sandbox.start_face(&person("王法人")).await.unwrap();
    clock.advance(Duration::from_secs(session.expires_in as u64));
    assert_eq!(
        sandbox.face_result(&late.reference).await,
        Ok(FaceState::Expired)
    );
    assert_eq!(
        sandbox.complete_face(&late.reference, true),
        Some(FaceState::Expired)
    );
    let failed = sandbox.start_face(&person("王法人")).await.unwrap();
    assert_eq!(
        sandbox.complete_face(&failed.reference, false),
        Some(FaceState::Failed)
    );
    assert!(sandbox.face_result("nope").await.is_err());
    assert!(matches!(
        sandbox.start_face(&person("维护")).await,
        Err(IdentityError::Unavailable(_))
    ));
}

/// How the test service behaves.
const HONEST: u8 = 0;
const BAD_SIGNATURE: u8 = 1;
const WRONG_NONCE: u8 = 2;
const DOWN: u8 = 3;
const SLOW: u8 = 4;
const STALE: u8 = 5;

struct Service {
    sandbox: SandboxIdentity,
    clock: Arc<SettableClock>,
    mode: AtomicU8,
    rejected: Mutex<u32>,
}

/// A service speaking the protocol over the sandbox's answers.
async fn service(clock: Arc<SettableClock>) -> (String, Arc<Service>) {
    let state = Arc::new(Service {
        sandbox: SandboxIdentity::new(clock.clone()),
        clock,
        mode: AtomicU8::new(HONEST),
        rejected: Mutex::new(0),
    });
    let shared = state.clone();
    let app = axum::Router::new().route(
        "/v1/{*operation}",
        axum::routing::post(
            move |axum::extract::Path(operation): axum::extract::Path<String>,
                  headers: HeaderMap,
                  body: axum::body::Bytes| {
                let state = shared.clone();
                async move { handle(&state, &operation, &headers, &body).await }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

async fn handle(state: &Service, operation: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let get = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let timestamp: i64 = get("x-certhall-timestamp").parse().unwrap_or(0);
    if !signing::verify(SECRET, timestamp, body, &get("x-certhall-signature")) {
        *state.rejected.lock().unwrap() += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let envelope: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(envelope["app_id"], "certhall-test");
    let request = envelope["request"].clone();
    let mode = state.mode.load(Ordering::SeqCst);
    if mode == DOWN {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if mode == SLOW {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let sandbox = &state.sandbox;
    let result: Result<serde_json::Value, IdentityError> = match operation {
        "company/check" => sandbox
            .check_company(&serde_json::from_value(request).unwrap())
            .await
            .map(|answer| serde_json::to_value(AnswerResult { answer }).unwrap()),
        "person/check" => sandbox
            .check_person(&serde_json::from_value(request).unwrap())
            .await
            .map(|answer| serde_json::to_value(AnswerResult { answer }).unwrap()),
        "transfers" => sandbox
            .send_transfer(&serde_json::from_value(request).unwrap())
            .await
            .map(|answer| serde_json::to_value(AnswerResult { answer }).unwrap()),
        "faces" => sandbox
            .start_face(&serde_json::from_value(request).unwrap())
            .await
            .map(|session| serde_json::to_value(session).unwrap()),
        "faces/result" => {
            let asked: FaceResultRequest = serde_json::from_value(request).unwrap();
            sandbox
                .face_result(&asked.reference)
                .await
                .map(|state| serde_json::to_value(FaceResult { state }).unwrap())
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let result = match result {
        Ok(result) => result,
        // The sandbox's "no answer" kinds become what a real service does: silence or 503.
        Err(IdentityError::Timeout) => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let nonce = if mode == WRONG_NONCE {
        "another".to_string()
    } else {
        envelope["nonce"].as_str().unwrap().to_string()
    };
    let reply = serde_json::to_vec(&serde_json::json!({"nonce": nonce, "result": result})).unwrap();
    let now = state.clock.now().seconds();
    let stamp = if mode == STALE { now - 3600 } else { now };
    let signature = if mode == BAD_SIGNATURE {
        signing::signature(b"not-the-shared-secret!!", stamp, &reply)
    } else {
        signing::signature(SECRET, stamp, &reply)
    };
    (
        [
            ("x-certhall-timestamp", stamp.to_string()),
            ("x-certhall-signature", signature),
        ],
        reply,
    )
        .into_response()
}

fn adapter(url: &str, clock: Arc<SettableClock>) -> HttpIdentity {
    HttpIdentity::new(
        url,
        "certhall-test",
        SECRET,
        Duration::from_millis(400),
        clock,
    )
    .unwrap()
}

#[tokio::test]
async fn the_http_adapter_gets_the_same_answers_signed() {
    let clock = clock();
    let (url, service) = service(clock.clone()).await;
    let provider = adapter(&url, clock.clone());
    answers_of_every_kind(&provider).await;
    assert_eq!(*service.rejected.lock().unwrap(), 0);

    let session = provider.start_face(&person("王法人")).await.unwrap();
    assert_eq!(
        provider.face_result(&session.reference).await,
        Ok(FaceState::Pending)
    );
    service.sandbox.complete_face(&session.reference, true);
    assert_eq!(
        provider.face_result(&session.reference).await,
        Ok(FaceState::Passed)
    );
}

#[tokio::test]
async fn the_http_adapter_trusts_no_answer_that_does_not_check() {
    let clock = clock();
    let (url, service) = service(clock.clone()).await;
    let provider = adapter(&url, clock.clone());
    let ok = company("北京环保科技有限公司", None);
    for (mode, expect) in [
        (BAD_SIGNATURE, "signature"),
        (WRONG_NONCE, "another request"),
        (STALE, "timestamp"),
    ] {
        service.mode.store(mode, Ordering::SeqCst);
        match provider.check_company(&ok).await {
            Err(IdentityError::Protocol(why)) => assert!(why.contains(expect), "{why}"),
            other => panic!("mode {mode}: {other:?}"),
        }
    }
    service.mode.store(DOWN, Ordering::SeqCst);
    assert!(matches!(
        provider.check_company(&ok).await,
        Err(IdentityError::Unavailable(_))
    ));
    service.mode.store(SLOW, Ordering::SeqCst);
    assert_eq!(
        provider.check_company(&ok).await,
        Err(IdentityError::Timeout)
    );

    // A caller without the secret is refused by the service.
    service.mode.store(HONEST, Ordering::SeqCst);
    let stranger = HttpIdentity::new(
        &url,
        "certhall-test",
        b"a-secret-that-is-not-shared",
        Duration::from_millis(400),
        clock,
    )
    .unwrap();
    assert!(matches!(
        stranger.check_company(&ok).await,
        Err(IdentityError::Protocol(_))
    ));
    assert_eq!(*service.rejected.lock().unwrap(), 1);
    assert!(
        HttpIdentity::new(
            "ftp://x",
            "a",
            SECRET,
            Duration::from_secs(1),
            self::clock()
        )
        .is_err()
    );
}
