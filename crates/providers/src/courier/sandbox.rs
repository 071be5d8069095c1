//! A kuaidi100 sandbox: the answers kuaidi100 gives to `label/order` and `poll/query.do`,
//! for demos and tests, driven by the same adapter ([`super::kuaidi100::Kuaidi100`]) so
//! that no production code path is bypassed. What makes it behave like the platform:
//! - requests are refused unless signed as kuaidi100 checks them (MD5 over the exact
//!   `param` text with the sandbox's public test credentials), and with the platform's
//!   refusals for an unknown courier or an incomplete address;
//! - a waybill's number has its courier's format; the same `orderId` again answers the
//!   same waybill (a retry after a lost answer makes no second parcel);
//! - a parcel has no events until the courier collects it: "查询无结果" as on kuaidi100.
//!   Then its journey moves on the application's clock: collected 2 hours after the
//!   waybill, in transit at 6 h and 20 h, out for delivery at 26 h, signed for at 30 h;
//! - SF Express answers only with the recipient's or sender's phone (its rule), and
//!   matches its last four digits;
//! - [`Kuaidi100Sandbox::fail_next`] makes the next calls fail as an outage does.

use std::sync::{Arc, Mutex};

use domain::time::Clock;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::CourierError;
use super::kuaidi100::{Api, Credentials, label_sign, query_sign};

const KEY: &str = "sandbox-key";
const CUSTOMER: &str = "SANDBOXCUSTOMER";
const SECRET: &str = "sandbox-secret";
const PARTNER: &str = "sandbox-monthly-account";

/// The journey of every parcel: hours after its waybill, kuaidi100's state, the event.
const JOURNEY: [(i64, &str, &str); 5] = [
    (2, "1", "【{from}】快件已揽收"),
    (6, "0", "快件已从【{from}】发出，发往【{to}】"),
    (20, "0", "快件已到达【{to}转运中心】"),
    (26, "5", "【{to}】快递员正在派件，请保持电话畅通"),
    (30, "3", "已签收，签收人：本人。感谢使用"),
];

struct Parcel {
    com: String,
    number: String,
    order_id: String,
    made_at: i64,
    phones: [String; 2],
    from: String,
    to: String,
}

#[derive(Default)]
struct State {
    parcels: Vec<Parcel>,
    failures_to_come: u32,
}

pub struct Kuaidi100Sandbox {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

#[derive(Deserialize)]
struct Man {
    name: String,
    mobile: String,
    #[serde(rename = "printAddr")]
    print_addr: String,
}

#[derive(Deserialize)]
struct LabelParam {
    #[serde(rename = "partnerId")]
    partner_id: String,
    kuaidicom: String,
    #[serde(rename = "recMan")]
    rec_man: Man,
    #[serde(rename = "sendMan")]
    send_man: Man,
    #[serde(default, rename = "orderId")]
    order_id: String,
}

#[derive(Deserialize)]
struct QueryParam {
    com: String,
    num: String,
    #[serde(default)]
    phone: String,
}

fn refusal(code: &str, message: &str) -> String {
    serde_json::json!({"result": false, "returnCode": code, "message": message, "data": null})
        .to_string()
}

/// The city of a printed address (`省 市 区 详细地址`): its second part, or its first.
fn city(address: &str) -> String {
    let mut parts = address.split_whitespace();
    let first = parts.next().unwrap_or("");
    parts.next().unwrap_or(first).to_string()
}

fn beijing(at: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(at)
        .map(|t| t.to_offset(time::macros::offset!(+8)))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

impl Kuaidi100Sandbox {
    pub fn new(clock: Arc<dyn Clock>) -> Kuaidi100Sandbox {
        Kuaidi100Sandbox {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    /// The sandbox's test credentials (public: they open nothing real).
    pub fn credentials() -> Credentials {
        Credentials {
            key: KEY.into(),
            customer: CUSTOMER.into(),
            secret: Zeroizing::new(SECRET.into()),
            partner_id: PARTNER.into(),
            partner_key: None,
        }
    }

    /// The next `calls` calls fail as when the platform is down.
    pub fn fail_next(&self, calls: u32) {
        if let Ok(mut state) = self.state.lock() {
            state.failures_to_come = calls;
        }
    }

    /// How many waybills were made.
    pub fn waybills(&self) -> usize {
        self.state.lock().map(|s| s.parcels.len()).unwrap_or(0)
    }

    /// kuaidi100's answer to a form posted to `api`, or an outage.
    pub fn answer(&self, api: Api, form: &[(String, String)]) -> Result<String, CourierError> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| CourierError::Unavailable("sandbox poisoned".into()))?;
        if state.failures_to_come > 0 {
            state.failures_to_come -= 1;
            return Err(CourierError::Unavailable("HTTP 502 Bad Gateway".into()));
        }
        let now = self.clock.now().seconds();
        Ok(match api {
            Api::Label => label(&mut state, form, now),
            Api::Query => query(&state, form, now),
        })
    }
}

fn label(state: &mut State, form: &[(String, String)], now: i64) -> String {
    let param = field(form, "param");
    if field(form, "method") != "order" || field(form, "key") != KEY {
        return refusal("10001", "key 或 method 错误");
    }
    if field(form, "sign") != label_sign(param, field(form, "t"), KEY, SECRET) {
        return refusal("10002", "签名验证失败");
    }
    let Ok(order) = serde_json::from_str::<LabelParam>(param) else {
        return refusal("10003", "param 参数格式错误");
    };
    if order.partner_id != PARTNER {
        return refusal("30002", "电子面单账号不存在或无余额");
    }
    let Some(courier) = domain::courier::from_kuaidi100(&order.kuaidicom) else {
        return refusal("30001", "不支持的快递公司编码");
    };
    for man in [&order.rec_man, &order.send_man] {
        if man.name.trim().is_empty()
            || man.mobile.trim().is_empty()
            || man.print_addr.trim().chars().count() < 6
        {
            return refusal("30003", "收寄件人信息不完整");
        }
    }
    let existing = state
        .parcels
        .iter()
        .find(|p| !order.order_id.is_empty() && p.order_id == order.order_id);
    let number = match existing {
        Some(parcel) => parcel.number.clone(),
        None => {
            let number = sample_number(courier, state.parcels.len() as u64 + 1);
            state.parcels.push(Parcel {
                com: order.kuaidicom.clone(),
                number: number.clone(),
                order_id: order.order_id.clone(),
                made_at: now,
                phones: [order.rec_man.mobile.clone(), order.send_man.mobile.clone()],
                from: city(&order.send_man.print_addr),
                to: city(&order.rec_man.print_addr),
            });
            number
        }
    };
    serde_json::json!({
        "result": true, "returnCode": "200", "message": "提交成功",
        "data": {"taskId": format!("T{number}"), "kuaidinum": number,
                 "kuaidicom": order.kuaidicom, "orderId": order.order_id},
    })
    .to_string()
}

/// The `n`th number of `courier`: its example with `n` in its last seven digits.
fn sample_number(courier: &str, n: u64) -> String {
    let example = domain::courier::example(courier).unwrap_or("SB0000000000000");
    let serial = format!("{:07}", n % 10_000_000);
    let mut fill = serial.chars().rev();
    let mut out: Vec<char> = example.chars().rev().collect();
    for c in out.iter_mut().filter(|c| c.is_ascii_digit()) {
        match fill.next() {
            Some(d) => *c = d,
            None => break,
        }
    }
    out.into_iter().rev().collect()
}

fn query(state: &State, form: &[(String, String)], now: i64) -> String {
    let param = field(form, "param");
    if field(form, "customer") != CUSTOMER {
        return refusal("601", "customer 错误或未开通");
    }
    if field(form, "sign") != query_sign(param, KEY, CUSTOMER) {
        return refusal("601", "签名验证失败");
    }
    let Ok(asked) = serde_json::from_str::<QueryParam>(param) else {
        return refusal("501", "param 参数格式错误");
    };
    let Some(parcel) = state
        .parcels
        .iter()
        .find(|p| p.com == asked.com && p.number == asked.num)
    else {
        return refusal("500", "查询无结果，请隔段时间再查");
    };
    if parcel.com == "shunfeng" {
        let tail = |p: &str| p.chars().rev().take(4).collect::<String>();
        if asked.phone.len() < 4 || !parcel.phones.iter().any(|p| tail(p) == tail(&asked.phone)) {
            return refusal("408", "快递公司参数异常：顺丰单号需提供收/寄件人手机号");
        }
    }
    let happened: Vec<&(i64, &str, &str)> = JOURNEY
        .iter()
        .filter(|(hours, _, _)| parcel.made_at + hours * 3600 <= now)
        .collect();
    let Some((_, state_code, _)) = happened.last() else {
        return refusal("500", "查询无结果，请隔段时间再查");
    };
    let data: Vec<serde_json::Value> = happened
        .iter()
        .rev()
        .map(|(hours, _, text)| {
            let at = beijing(parcel.made_at + hours * 3600);
            let context = text
                .replace("{from}", &parcel.from)
                .replace("{to}", &parcel.to);
            serde_json::json!({"time": at, "ftime": at, "context": context, "location": ""})
        })
        .collect();
    serde_json::json!({
        "message": "ok", "nu": parcel.number, "ischeck": if *state_code == "3" { "1" } else { "0" },
        "condition": "F00", "com": parcel.com, "status": "200", "state": state_code, "data": data,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_numbers_have_their_couriers_format() {
        for courier in ["sf", "sto", "ems", "yto", "zto", "jd"] {
            let number = sample_number(courier, 42);
            assert_eq!(
                domain::courier::tracking_number(courier, &number).as_deref(),
                Ok(number.as_str()),
                "{courier}"
            );
        }
    }
}
