//! The outbox from the command line: a test message goes out through the file provider in
//! the fixed format, is listed, and is audited; bad addresses are refused by name.

mod common;
use common::*;

#[test]
fn a_test_message_reaches_the_outbox_file() {
    let instance = Instance::sqlite();
    let out = instance.ok(&["outbox", "test", "--sms", "+86 138-0013-8000"]);
    assert!(out.contains("1 message(s) delivered"), "{out}");
    let line = std::fs::read_to_string(instance.path("data/outbox/sms.jsonl")).unwrap();
    let message: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(message["to"], "13800138000");
    assert_eq!(message["template"], "test");
    assert!(
        message["text"].as_str().unwrap().contains("测试消息"),
        "{message}"
    );

    instance.ok(&["outbox", "test", "--email", "ops@example.cn"]);
    let mail = std::fs::read_to_string(instance.path("data/outbox/email.jsonl")).unwrap();
    assert!(
        mail.contains("\"to\":\"ops@example.cn\"") && mail.contains("\"subject\""),
        "{mail}"
    );

    let listing = instance.ok(&["outbox", "list"]);
    assert_eq!(listing.matches(" sent ").count(), 2, "{listing}");
    let audit = instance.ok(&["audit", "list", "--action", "outbox.test"]);
    assert_eq!(audit.lines().count(), 2, "{audit}");

    let bad = instance.run(&["outbox", "test", "--sms", "12345"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("--sms: must be an 11-digit mainland mobile number")
    );
    let bad = instance.run(&["outbox", "test", "--email", "nobody"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--email"));
    let bad = instance.run(&["outbox", "retry", "--id", "1"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no failed message with id 1"));
}
