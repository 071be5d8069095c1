//! The state machine of a USB key (介质), modelled on Dogtag TPS's token lifecycle with the
//! logistics steps TPS lacks (assigned, produced, shipped). "PIN locked" is a flag on an
//! active key, not a state, so an unlock never loses where the key stands.
//!
//! ```text
//!   receive            assign             produce           ship             activate
//!  ───────▶ InStock ─────────▶ Assigned ─────────▶ Produced ──────▶ Shipped ──────────▶ Active
//!             ▲  ▲   release      │                   │  hand_over (pickup at the counter) ▲
//!             │  └────────────────┘                   └────────────────────────────────────┘
//!             │ reuse
//!          Retired ◀── retire ── Lost, Damaged, Active, InStock
//!  lose:   Produced, Shipped, Active ──▶ Lost
//!  damage: InStock, Assigned, Produced, Shipped, Active ──▶ Damaged
//! ```
//!
//! TPS codes, for whoever maps the two: InStock and Assigned are UNFORMATTED/FORMATTED (7/0),
//! Produced, Shipped and Active are ACTIVE (4), Lost is PERM_LOST (2), Damaged is DAMAGED (1),
//! Retired is TERMINATED (6); `reuse` is TPS's 6:7 "Reuse this token".

use crate::FieldError;
use crate::transition::{Refused, Status, Transition, UnknownState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsbKeyStatus {
    /// 在库: received, blank, free to produce onto.
    InStock,
    /// 已分配: a producer took it for an application; production is under way.
    Assigned,
    /// 已制证: the certificate is on it and proven.
    Produced,
    /// 已寄出.
    Shipped,
    /// 使用中: with its holder (receipt confirmed or assumed, or handed over at the counter).
    Active,
    /// 已挂失.
    Lost,
    /// 已损坏.
    Damaged,
    /// 已注销: out of use (wiped before any reuse).
    Retired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsbKeyEvent {
    Assign,
    /// Production did not finish and the key is sound: back to stock.
    Release,
    Produce,
    Ship,
    /// Handed over at the counter (pickup).
    HandOver,
    /// The holder has it: receipt confirmed, or assumed after the configured days.
    Activate,
    Lose,
    Damage,
    Retire,
    /// A retired key wiped and put back into stock.
    Reuse,
}

impl UsbKeyEvent {
    pub const ALL: [UsbKeyEvent; 10] = [
        UsbKeyEvent::Assign,
        UsbKeyEvent::Release,
        UsbKeyEvent::Produce,
        UsbKeyEvent::Ship,
        UsbKeyEvent::HandOver,
        UsbKeyEvent::Activate,
        UsbKeyEvent::Lose,
        UsbKeyEvent::Damage,
        UsbKeyEvent::Retire,
        UsbKeyEvent::Reuse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UsbKeyEvent::Assign => "assign",
            UsbKeyEvent::Release => "release",
            UsbKeyEvent::Produce => "produce",
            UsbKeyEvent::Ship => "ship",
            UsbKeyEvent::HandOver => "hand_over",
            UsbKeyEvent::Activate => "activate",
            UsbKeyEvent::Lose => "lose",
            UsbKeyEvent::Damage => "damage",
            UsbKeyEvent::Retire => "retire",
            UsbKeyEvent::Reuse => "reuse",
        }
    }

    pub fn parse(text: &str) -> Option<UsbKeyEvent> {
        Self::ALL.into_iter().find(|e| e.as_str() == text)
    }

    /// What the console's button says.
    pub fn name_zh(self) -> &'static str {
        match self {
            UsbKeyEvent::Assign => "分配制证",
            UsbKeyEvent::Release => "退回库存",
            UsbKeyEvent::Produce => "制证完成",
            UsbKeyEvent::Ship => "寄出",
            UsbKeyEvent::HandOver => "现场领取",
            UsbKeyEvent::Activate => "签收",
            UsbKeyEvent::Lose => "挂失",
            UsbKeyEvent::Damage => "标记损坏",
            UsbKeyEvent::Retire => "注销",
            UsbKeyEvent::Reuse => "格式化后重新入库",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            UsbKeyEvent::Assign => "Assign for production",
            UsbKeyEvent::Release => "Back to stock",
            UsbKeyEvent::Produce => "Produced",
            UsbKeyEvent::Ship => "Ship",
            UsbKeyEvent::HandOver => "Hand over",
            UsbKeyEvent::Activate => "Receipt confirmed",
            UsbKeyEvent::Lose => "Report lost",
            UsbKeyEvent::Damage => "Mark damaged",
            UsbKeyEvent::Retire => "Retire",
            UsbKeyEvent::Reuse => "Wiped, back to stock",
        }
    }

    /// What the audit log calls it.
    pub fn action(self) -> crate::AuditAction {
        use crate::AuditAction as A;
        match self {
            UsbKeyEvent::Assign => A::UsbKeyAssign,
            UsbKeyEvent::Release => A::UsbKeyRelease,
            UsbKeyEvent::Produce => A::UsbKeyProduce,
            UsbKeyEvent::Ship => A::UsbKeyShip,
            UsbKeyEvent::HandOver => A::UsbKeyHandOver,
            UsbKeyEvent::Activate => A::UsbKeyActivate,
            UsbKeyEvent::Lose => A::UsbKeyLose,
            UsbKeyEvent::Damage => A::UsbKeyDamage,
            UsbKeyEvent::Retire => A::UsbKeyRetire,
            UsbKeyEvent::Reuse => A::UsbKeyReuse,
        }
    }

    /// Events an inventory clerk may apply by hand on the key's page; the others belong to
    /// production, shipping and the customer's receipt, which apply them themselves.
    pub fn by_hand(self) -> bool {
        matches!(
            self,
            UsbKeyEvent::Damage | UsbKeyEvent::Lose | UsbKeyEvent::Retire | UsbKeyEvent::Reuse
        )
    }
}

impl Status for UsbKeyStatus {
    const ALL: &'static [Self] = &[
        UsbKeyStatus::InStock,
        UsbKeyStatus::Assigned,
        UsbKeyStatus::Produced,
        UsbKeyStatus::Shipped,
        UsbKeyStatus::Active,
        UsbKeyStatus::Lost,
        UsbKeyStatus::Damaged,
        UsbKeyStatus::Retired,
    ];

    fn as_str(self) -> &'static str {
        match self {
            UsbKeyStatus::InStock => "in_stock",
            UsbKeyStatus::Assigned => "assigned",
            UsbKeyStatus::Produced => "produced",
            UsbKeyStatus::Shipped => "shipped",
            UsbKeyStatus::Active => "active",
            UsbKeyStatus::Lost => "lost",
            UsbKeyStatus::Damaged => "damaged",
            UsbKeyStatus::Retired => "retired",
        }
    }
}

impl TryFrom<String> for UsbKeyStatus {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        UsbKeyStatus::parse(&text).ok_or(UnknownState(text))
    }
}

impl UsbKeyStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            UsbKeyStatus::InStock => "在库",
            UsbKeyStatus::Assigned => "制证中",
            UsbKeyStatus::Produced => "已制证",
            UsbKeyStatus::Shipped => "已寄出",
            UsbKeyStatus::Active => "使用中",
            UsbKeyStatus::Lost => "已挂失",
            UsbKeyStatus::Damaged => "已损坏",
            UsbKeyStatus::Retired => "已注销",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            UsbKeyStatus::InStock => "In stock",
            UsbKeyStatus::Assigned => "Being produced",
            UsbKeyStatus::Produced => "Produced",
            UsbKeyStatus::Shipped => "Shipped",
            UsbKeyStatus::Active => "In use",
            UsbKeyStatus::Lost => "Lost",
            UsbKeyStatus::Damaged => "Damaged",
            UsbKeyStatus::Retired => "Retired",
        }
    }

    /// The one table.
    pub fn apply(self, event: UsbKeyEvent) -> Result<Transition<UsbKeyStatus>, Refused> {
        use UsbKeyEvent as E;
        use UsbKeyStatus as S;
        let to = match (self, event) {
            (S::InStock, E::Assign) => S::Assigned,
            (S::Assigned, E::Release) => S::InStock,
            (S::Assigned, E::Produce) => S::Produced,
            (S::Produced, E::Ship) => S::Shipped,
            (S::Produced, E::HandOver) => S::Active,
            (S::Shipped, E::Activate) => S::Active,
            (S::Produced | S::Shipped | S::Active, E::Lose) => S::Lost,
            (S::InStock | S::Assigned | S::Produced | S::Shipped | S::Active, E::Damage) => {
                S::Damaged
            }
            (S::InStock | S::Active | S::Lost | S::Damaged, E::Retire) => S::Retired,
            (S::Retired, E::Reuse) => S::InStock,
            (from, event) => {
                return Err(Refused {
                    machine: "usb_key",
                    from: from.as_str(),
                    event: event.as_str(),
                });
            }
        };
        Ok(Transition::new(self, to))
    }
}

/// A key as a vendor's delivery list, or the goods-in form, names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedKey {
    /// The line it was on (of the list, or of the form's serials).
    pub line: usize,
    pub vendor: String,
    pub model: String,
    pub serial: String,
    pub batch: String,
}

/// The most keys received at once.
pub const MAX_KEYS_AT_ONCE: usize = 5_000;

/// A serial number as a key reports it (PKCS#11 `serialNumber`: 16 characters padded with
/// spaces, trimmed here): 1 to 32 letters, digits, `-`, `_` or `.`.
pub fn serial(text: &str) -> Option<String> {
    let text = text.trim();
    let fine = (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    fine.then(|| text.to_string())
}

fn bad_serial(field: &str, line: usize, serial: &str) -> FieldError {
    FieldError::new(
        field,
        "invalid_serial",
        format!(
            "line {line}: {serial:?} is not a key serial number (1 to 32 letters, digits, '-', '_' or '.')"
        ),
        format!("第 {line} 行：“{serial}”不是介质序列号（1 至 32 位字母、数字、“-”“_”或“.”）"),
    )
}

fn twice(field: &str, line: usize, serial: &str) -> FieldError {
    FieldError::new(
        field,
        "duplicate_serial",
        format!("line {line}: serial {serial} is listed twice"),
        format!("第 {line} 行：序列号 {serial} 重复"),
    )
}

fn too_many(field: &str) -> FieldError {
    FieldError::new(
        field,
        "too_many_keys",
        format!("at most {MAX_KEYS_AT_ONCE} keys at once"),
        format!("一次最多入库 {MAX_KEYS_AT_ONCE} 个介质"),
    )
}

/// The keys typed on the goods-in form: one vendor, model and batch, the serials one per
/// line (blank lines left out).
pub fn from_form(
    vendor: &str,
    model: &str,
    batch: &str,
    serials: &str,
) -> Result<Vec<ReceivedKey>, FieldError> {
    let vendor = crate::text::required("vendor", vendor, 64, "厂商")?;
    let model = crate::text::required("model", model, 64, "型号")?;
    let batch = crate::text::required("batch", batch, 64, "批次")?;
    let mut keys: Vec<ReceivedKey> = Vec::new();
    for (i, typed) in serials.lines().enumerate() {
        if typed.trim().is_empty() {
            continue;
        }
        let line = i + 1;
        let serial = serial(typed).ok_or_else(|| bad_serial("serials", line, typed.trim()))?;
        if keys.iter().any(|k| k.serial == serial) {
            return Err(twice("serials", line, &serial));
        }
        keys.push(ReceivedKey {
            line,
            vendor: vendor.clone(),
            model: model.clone(),
            serial,
            batch: batch.clone(),
        });
    }
    if keys.is_empty() {
        return Err(FieldError::new(
            "serials",
            "required",
            "list the serial numbers, one per line",
            "请填写介质序列号，每行一个",
        ));
    }
    if keys.len() > MAX_KEYS_AT_ONCE {
        return Err(too_many("serials"));
    }
    Ok(keys)
}

/// The keys of a vendor's delivery list: CSV in UTF-8 (a BOM allowed), its header naming
/// the columns `vendor`/`厂商`, `model`/`型号`, `serial`/`序列号` and `batch`/`批次`, in any
/// order. A bad line refuses the whole list, naming the line and the column.
pub fn read_list(bytes: &[u8]) -> Result<Vec<ReceivedKey>, FieldError> {
    let refused = |en: String, zh: String| FieldError::new("file", "invalid_key_list", en, zh);
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| {
        refused(
            "not UTF-8 text: save the list as CSV (UTF-8)".into(),
            "文件不是 UTF-8 文本，请另存为 CSV（UTF-8）".into(),
        )
    })?;
    let records = crate::csv::records(text).map_err(|e| {
        refused(
            format!("line {}: a quote is never closed", e.line),
            format!("第 {} 行：引号没有闭合", e.line),
        )
    })?;
    let mut records = records.into_iter();
    let (_, header) = records
        .next()
        .ok_or_else(|| refused("the file is empty".into(), "文件为空".into()))?;
    let column = |en: &str, zh: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(en) || h.trim() == zh)
            .ok_or_else(|| {
                refused(
                    format!("no column {en:?} ({zh}) in the header"),
                    format!("表头中没有“{zh}”（{en}）列"),
                )
            })
    };
    let columns = [
        column("vendor", "厂商")?,
        column("model", "型号")?,
        column("serial", "序列号")?,
        column("batch", "批次")?,
    ];
    let mut keys: Vec<ReceivedKey> = Vec::new();
    for (line, record) in records {
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let [vendor, model, serial_text, batch] =
            columns.map(|c| record.get(c).map_or("", |f| f.trim()).to_string());
        for (value, en, zh) in [
            (&vendor, "vendor", "厂商"),
            (&model, "model", "型号"),
            (&batch, "batch", "批次"),
        ] {
            if value.is_empty() || value.chars().count() > 64 {
                return Err(refused(
                    format!("line {line}, column {en}: required, at most 64 characters"),
                    format!("第 {line} 行“{zh}”列：必填，最多 64 个字符"),
                ));
            }
        }
        let serial = serial(&serial_text).ok_or_else(|| {
            let e = bad_serial("file", line, &serial_text);
            refused(e.en, e.zh)
        })?;
        if keys
            .iter()
            .any(|k| k.serial == serial && k.vendor == vendor)
        {
            let e = twice("file", line, &serial);
            return Err(refused(e.en, e.zh));
        }
        keys.push(ReceivedKey {
            line,
            vendor,
            model,
            serial,
            batch,
        });
        if keys.len() > MAX_KEYS_AT_ONCE {
            return Err(too_many("file"));
        }
    }
    if keys.is_empty() {
        return Err(refused(
            "the list names no key".into(),
            "清单中没有介质".into(),
        ));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_goods_in_form_and_a_delivery_list_are_read_or_refused_by_line() {
        let keys = from_form(
            " 飞天诚信 ",
            "ePass3003",
            "FT-2026-12",
            "0123456789ABCDEF\n\n  A1B2 \n",
        )
        .unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!((keys[1].line, keys[1].serial.as_str()), (3, "A1B2"));
        assert_eq!(keys[0].vendor, "飞天诚信");
        let e = from_form("v", "m", "b", "AB12\nAB 12").unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("serials", "invalid_serial"));
        assert!(e.zh.contains("第 2 行"), "{}", e.zh);
        let e = from_form("v", "m", "b", "AB12\nAB12").unwrap_err();
        assert_eq!(e.code, "duplicate_serial");
        assert_eq!(from_form("", "m", "b", "AB12").unwrap_err().field, "vendor");
        assert_eq!(
            from_form("v", "m", "b", " \n").unwrap_err().field,
            "serials"
        );

        let list = "\u{feff}序列号,厂商,型号,批次\r\nS001,飞天诚信,ePass3003,B1\r\n,,,\r\n\"S002\",握奇,TimeCOS,B1\r\n";
        let keys = read_list(list.as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            (
                keys[1].line,
                keys[1].vendor.as_str(),
                keys[1].serial.as_str()
            ),
            (4, "握奇", "S002")
        );
        let english = "vendor,model,serial,batch\nSoftHSM project,SoftHSM v2,1b2c3d4e5f6a7b8c,T\n";
        assert_eq!(
            read_list(english.as_bytes()).unwrap()[0].model,
            "SoftHSM v2"
        );
        let e = read_list("vendor,model,batch\nv,m,b\n".as_bytes()).unwrap_err();
        assert!(e.zh.contains("序列号"), "{}", e.zh);
        let e = read_list("vendor,model,serial,batch\nv,m,S 1,b\n".as_bytes()).unwrap_err();
        assert_eq!(e.field, "file");
        assert!(e.zh.contains("第 2 行"), "{}", e.zh);
        let e = read_list("vendor,model,serial,batch\nv,,S1,b\n".as_bytes()).unwrap_err();
        assert!(e.zh.contains("第 2 行“型号”列"), "{}", e.zh);
        assert!(read_list(b"vendor,model,serial,batch\n").is_err());
        assert!(read_list(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn every_state_and_event_is_decided() {
        use UsbKeyEvent as E;
        use UsbKeyStatus as S;
        let expected = [
            (S::InStock, E::Assign, S::Assigned),
            (S::InStock, E::Damage, S::Damaged),
            (S::InStock, E::Retire, S::Retired),
            (S::Assigned, E::Release, S::InStock),
            (S::Assigned, E::Produce, S::Produced),
            (S::Assigned, E::Damage, S::Damaged),
            (S::Produced, E::Ship, S::Shipped),
            (S::Produced, E::HandOver, S::Active),
            (S::Produced, E::Lose, S::Lost),
            (S::Produced, E::Damage, S::Damaged),
            (S::Shipped, E::Activate, S::Active),
            (S::Shipped, E::Lose, S::Lost),
            (S::Shipped, E::Damage, S::Damaged),
            (S::Active, E::Lose, S::Lost),
            (S::Active, E::Damage, S::Damaged),
            (S::Active, E::Retire, S::Retired),
            (S::Lost, E::Retire, S::Retired),
            (S::Damaged, E::Retire, S::Retired),
            (S::Retired, E::Reuse, S::InStock),
        ];
        crate::transition::assert_table(
            UsbKeyStatus::ALL,
            &UsbKeyEvent::ALL,
            &expected,
            UsbKeyStatus::apply,
        );
        for &status in UsbKeyStatus::ALL {
            assert_eq!(UsbKeyStatus::parse(status.as_str()), Some(status));
            assert!(!status.name_zh().is_empty() && !status.name_en().is_empty());
        }
        for event in UsbKeyEvent::ALL {
            assert_eq!(UsbKeyEvent::parse(event.as_str()), Some(event));
        }
        // Only a blank key in stock is produced onto; a produced one is never assigned again.
        assert!(S::Produced.apply(E::Assign).is_err());
        assert!(S::Retired.apply(E::Assign).is_err());
    }
}
