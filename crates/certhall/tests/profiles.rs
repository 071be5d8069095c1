//! Profiles and address books: field-named validation, the ID number sealed at rest, one
//! default address, and authorization: a customer cannot read or change another's data
//! whatever id is put in the URL.

mod common;
use common::*;

fn address(recipient: &str) -> serde_json::Value {
    serde_json::json!({
        "recipient": recipient, "phone": "13811112222", "province": "福建省", "city": "福州市",
        "district": "鼓楼区", "detail": "五四路100号", "postal_code": "350001"
    })
}

#[test]
fn profiles_and_addresses_belong_to_their_owner() {
    let instance = Instance::sqlite();
    let server = instance.serve();
    let mut alice = register_customer(&instance, &server, "13811110001", "alicepass1");
    let mut bob = register_customer(&instance, &server, "13811110002", "bobpass123");

    let (status, _, body) = alice.call("GET", "/api/v1/me/profile", serde_json::Value::Null);
    assert_eq!(
        (status, body["name"].clone()),
        (200, serde_json::Value::Null)
    );
    for (field, value, needle) in [
        ("id_number", "11010519491231002Y", "18位"),
        ("id_number", "110105194912310021", "校验码"),
        ("email", "alice-at-example", "邮箱"),
        ("landline", "87654321", "固定电话"),
        ("username", "Alice", "用户名"),
        ("name", "张".repeat(33).as_str(), "姓名"),
    ] {
        let (status, _, body) = alice.call(
            "PUT",
            "/api/v1/me/profile",
            serde_json::json!({ field: value }),
        );
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (422, Some(field)),
            "{field}={value}: {body}"
        );
        assert!(
            body["error"]["message"].as_str().unwrap().contains(needle),
            "{body}"
        );
    }
    let profile = serde_json::json!({"name": "张三", "email": "zhang@example.cn", "id_number": "11010519491231002x", "landline": "0591-87654321", "username": "zhang01"});
    let (status, _, body) = alice.call("PUT", "/api/v1/me/profile", profile.clone());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id_number"], "11010519491231002X");
    assert_eq!(body["username"], "zhang01");
    let (status, _, body) = bob.call(
        "PUT",
        "/api/v1/me/profile",
        serde_json::json!({"username": "zhang01"}),
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (409, Some("username"))
    );
    let (_, _, body) = bob.call("GET", "/api/v1/me/profile", serde_json::Value::Null);
    assert_eq!(
        body["name"],
        serde_json::Value::Null,
        "Bob sees his own, empty profile"
    );

    // The ID number is not stored in the clear.
    let db = std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute('select id_number_sealed, id_number_masked from customer_profiles').fetchall(); print(r)"])
        .arg(instance.path("data/certhall.db"))
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&db.stdout);
    assert!(
        rows.contains("110105********002X") && !rows.contains("11010519491231002X"),
        "{rows}"
    );

    // Addresses: the first is the default; another can take over.
    let (status, _, body) = alice.call("POST", "/api/v1/me/addresses", address("张三"));
    assert_eq!(status, 201, "{body}");
    let first = body["id"].as_i64().unwrap();
    let mut second_body = address("李四");
    second_body["is_default"] = serde_json::json!(true);
    let (_, _, body) = alice.call("POST", "/api/v1/me/addresses", second_body);
    let second = body["id"].as_i64().unwrap();
    let (_, _, list) = alice.call("GET", "/api/v1/me/addresses", serde_json::Value::Null);
    let list = list.as_array().unwrap().clone();
    assert_eq!(
        (list[0]["id"].as_i64(), list[0]["is_default"].as_bool()),
        (Some(second), Some(true))
    );
    assert_eq!(
        (list[1]["id"].as_i64(), list[1]["is_default"].as_bool()),
        (Some(first), Some(false))
    );
    for (field, value) in [
        ("phone", "12345"),
        ("detail", ""),
        ("postal_code", "35ab01"),
    ] {
        let mut bad = address("王五");
        bad[field] = serde_json::json!(value);
        let (status, _, body) = alice.call("POST", "/api/v1/me/addresses", bad);
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }

    // Bob cannot see or touch Alice's addresses, whatever id he sends.
    let (_, _, bobs) = bob.call("GET", "/api/v1/me/addresses", serde_json::Value::Null);
    assert_eq!(bobs, serde_json::json!([]));
    for (method, path, body) in [
        (
            "PUT",
            format!("/api/v1/me/addresses/{first}"),
            address("Bob"),
        ),
        (
            "DELETE",
            format!("/api/v1/me/addresses/{first}"),
            serde_json::Value::Null,
        ),
        (
            "POST",
            format!("/api/v1/me/addresses/{first}/default"),
            serde_json::Value::Null,
        ),
        (
            "DELETE",
            "/api/v1/me/addresses/abc".to_string(),
            serde_json::Value::Null,
        ),
    ] {
        let (status, _, response) = bob.call(method, &path, body);
        assert_eq!(
            (status, response["error"]["code"].as_str()),
            (404, Some("unknown_address")),
            "{method} {path}"
        );
    }
    let (_, _, after) = alice.call("GET", "/api/v1/me/addresses", serde_json::Value::Null);
    assert_eq!(after.as_array().unwrap().len(), 2);
    assert_eq!(after[1]["recipient"], "张三", "unchanged by Bob");

    // Deleting the default hands it to the oldest remaining address.
    assert_eq!(
        alice
            .call(
                "DELETE",
                &format!("/api/v1/me/addresses/{second}"),
                serde_json::Value::Null
            )
            .0,
        204
    );
    let (_, _, after) = alice.call("GET", "/api/v1/me/addresses", serde_json::Value::Null);
    assert_eq!(
        (after[0]["id"].as_i64(), after[0]["is_default"].as_bool()),
        (Some(first), Some(true))
    );

    // CSRF and login are required.
    let csrf = alice.csrf.take();
    assert_eq!(
        alice.call("POST", "/api/v1/me/addresses", address("x")).0,
        403
    );
    alice.csrf = csrf;
    let mut nobody = Client::new(&server);
    assert_eq!(
        nobody
            .call("GET", "/api/v1/me/addresses", serde_json::Value::Null)
            .0,
        401
    );
    assert_eq!(
        nobody
            .call("GET", "/api/v1/me/profile", serde_json::Value::Null)
            .0,
        401
    );

    let audit = instance.ok(&["audit", "list", "--action", "customer.", "--limit", "100"]);
    for action in [
        "customer.profile_update",
        "customer.address_add",
        "customer.address_delete",
    ] {
        assert!(audit.contains(action), "no {action}");
    }
    assert!(
        !audit.contains("11010519491231002X"),
        "the ID number is never in the audit log"
    );
}
