//! Bank statements (银行流水) that finance imports to find transfers. Chinese banks export
//! corporate statements as CSV with columns of their own, so each bank has a profile
//! ([`BankProfile`], in the hall configuration): the encoding, the lines before the header,
//! which column holds the date, the credited amount, the remitter's name and account, the
//! remark. [`read`] turns an export into the credits it holds (debits and empty amounts are
//! left out), refusing the file with the line and column at fault. [`normalise_name`] is
//! how a remitter's name is compared with an order's holder. The state machine of an
//! imported credit is [`CreditStatus`].

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::field_error::FieldError;
use crate::money::Fen;
use crate::time::ChinaDate;
use crate::transition::{Refused, Status, Transition, UnknownState};

/// How a bank's export is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankProfile {
    /// Lowercase letters, digits and '-'.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub encoding: StatementEncoding,
    /// Lines before the header line (a bank's title, the account, the period).
    #[serde(default)]
    pub skip_lines: usize,
    /// The header of the booking date's column; the date is `2026-11-02`, `2026/11/02` or
    /// `20261102`, possibly followed by a time.
    pub date_column: String,
    /// The header of the credited amount's column (贷方发生额); yuan, thousands separators
    /// allowed.
    pub credit_column: String,
    /// The header of the remitter's name (对方户名).
    pub remitter_column: String,
    #[serde(default)]
    pub account_column: Option<String>,
    /// The remark (摘要 / 附言 / 用途), where a customer may have put the order number.
    #[serde(default)]
    pub remark_column: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementEncoding {
    #[default]
    Utf8,
    /// What most Chinese online banking exports.
    Gbk,
}

/// One credit of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// The data line it came from (1 for the first line after the header).
    pub row: usize,
    pub booked_on: ChinaDate,
    pub amount: Fen,
    pub remitter: String,
    pub account: String,
    pub remark: String,
}

/// The longest statement accepted.
pub const MAX_ROWS: usize = 20_000;

fn refused(en: String, zh: String) -> FieldError {
    FieldError::new("file", "invalid_statement", en, zh)
}

/// The credits of `bytes`, a CSV export read through `profile`.
pub fn read(profile: &BankProfile, bytes: &[u8]) -> Result<Vec<Credit>, FieldError> {
    let text = match profile.encoding {
        StatementEncoding::Utf8 => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            std::str::from_utf8(bytes)
                .map_err(|e| {
                    refused(
                        format!(
                            "not UTF-8 text (byte {}): choose the bank's profile",
                            e.valid_up_to()
                        ),
                        "文件不是 UTF-8 文本，请选择对应银行的格式".into(),
                    )
                })?
                .to_string()
        }
        StatementEncoding::Gbk => {
            let (text, _, had_errors) = encoding_rs::GBK.decode(bytes);
            if had_errors {
                return Err(refused(
                    "not GBK text: choose the bank's profile".into(),
                    "文件不是 GBK 文本，请选择对应银行的格式".into(),
                ));
            }
            text.into_owned()
        }
    };
    let records = crate::csv::records(&text).map_err(|e| {
        refused(
            format!("line {}: a quote is never closed", e.line),
            format!("第 {} 行：引号没有闭合", e.line),
        )
    })?;
    let mut records = records.into_iter().skip(profile.skip_lines);
    let (_, header) = records.next().ok_or_else(|| {
        refused(
            "the file has no header line".into(),
            "文件缺少表头行".into(),
        )
    })?;
    let column = |name: &str| {
        header.iter().position(|h| h.trim() == name).ok_or_else(|| {
            refused(
                format!("no column {name:?} in the header: is this the bank's profile?"),
                format!("表头中没有“{name}”列，请确认所选银行格式"),
            )
        })
    };
    let date = column(&profile.date_column)?;
    let credit = column(&profile.credit_column)?;
    let remitter = column(&profile.remitter_column)?;
    let account = profile.account_column.as_deref().map(column).transpose()?;
    let remark = profile.remark_column.as_deref().map(column).transpose()?;
    let mut credits = Vec::new();
    for (row, (line, record)) in records.enumerate() {
        if row >= MAX_ROWS {
            return Err(refused(
                format!("more than {MAX_ROWS} lines: import the statement in parts"),
                format!("超过 {MAX_ROWS} 行，请分段导入"),
            ));
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| record.get(i).map(|c| c.trim()).unwrap_or("");
        let amount_text: String = cell(credit).chars().filter(|c| *c != ',').collect();
        if amount_text.is_empty() {
            continue;
        }
        let amount = Fen::parse_yuan(&amount_text).ok_or_else(|| {
            refused(
                format!(
                    "line {line}, column {:?}: {amount_text:?} is not an amount in yuan",
                    profile.credit_column
                ),
                format!(
                    "第 {line} 行“{}”列：“{amount_text}”不是金额",
                    profile.credit_column
                ),
            )
        })?;
        if amount == Fen::ZERO {
            continue;
        }
        let booked_on = parse_date(cell(date)).ok_or_else(|| {
            refused(
                format!(
                    "line {line}, column {:?}: {:?} is not a date",
                    profile.date_column,
                    cell(date)
                ),
                format!(
                    "第 {line} 行“{}”列：“{}”不是日期",
                    profile.date_column,
                    cell(date)
                ),
            )
        })?;
        credits.push(Credit {
            row: row + 1,
            booked_on,
            amount,
            remitter: cell(remitter).to_string(),
            account: account.map(cell).unwrap_or("").to_string(),
            remark: remark.map(cell).unwrap_or("").to_string(),
        });
    }
    Ok(credits)
}

/// `2026-11-02`, `2026/11/02` or `20261102`, with or without a time after a space or `T`.
fn parse_date(text: &str) -> Option<ChinaDate> {
    let day = text.split([' ', 'T']).next()?;
    let dashed = if day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &day[..4], &day[4..6], &day[6..])
    } else {
        day.replace('/', "-")
    };
    dashed.parse().ok()
}

/// A name as compared: compatibility-normalised (full-width letters, digits and brackets
/// become half-width), without spaces, letters in upper case. "北京环保科技有限公司（北京）"
/// and "北京环保科技有限公司(北京) " compare equal.
pub fn normalise_name(name: &str) -> String {
    name.nfkc()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The most orders of one remitter a single credit is tried against (2^12 combinations).
pub const MOST_ORDERS_IN_ONE_CREDIT: usize = 12;

/// The ways to make exactly `total` from two or more of `amounts`, each used once: the
/// indexes of each way, at most `most` of them (more than one way means the credit cannot
/// say which orders it pays). Only the first [`MOST_ORDERS_IN_ONE_CREDIT`] amounts are
/// tried.
pub fn ways_to_pay(amounts: &[u64], total: u64, most: usize) -> Vec<Vec<usize>> {
    let n = amounts.len().min(MOST_ORDERS_IN_ONE_CREDIT);
    let mut ways = Vec::new();
    for mask in 1u32..(1 << n) {
        if mask.count_ones() < 2 {
            continue;
        }
        let chosen: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
        let sum = chosen
            .iter()
            .try_fold(0u64, |sum, &i| sum.checked_add(amounts[i]));
        if sum == Some(total) {
            ways.push(chosen);
            if ways.len() >= most {
                break;
            }
        }
    }
    ways
}

/// Where an imported credit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreditStatus {
    /// Nothing matches it: finance looks at it.
    Unmatched,
    /// An order matches it by amount and holder; finance confirms or dismisses.
    Proposed,
    /// Finance confirmed it paid the order.
    Confirmed,
    /// Finance set it aside (not a customer's payment, or handled otherwise).
    Dismissed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreditEvent {
    Confirm,
    Dismiss,
}

impl CreditEvent {
    pub const ALL: [CreditEvent; 2] = [CreditEvent::Confirm, CreditEvent::Dismiss];

    pub fn as_str(self) -> &'static str {
        match self {
            CreditEvent::Confirm => "confirm",
            CreditEvent::Dismiss => "dismiss",
        }
    }
}

impl Status for CreditStatus {
    const ALL: &'static [Self] = &[
        CreditStatus::Unmatched,
        CreditStatus::Proposed,
        CreditStatus::Confirmed,
        CreditStatus::Dismissed,
    ];

    fn as_str(self) -> &'static str {
        match self {
            CreditStatus::Unmatched => "unmatched",
            CreditStatus::Proposed => "proposed",
            CreditStatus::Confirmed => "confirmed",
            CreditStatus::Dismissed => "dismissed",
        }
    }
}

impl TryFrom<String> for CreditStatus {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        CreditStatus::parse(&text).ok_or(UnknownState(text))
    }
}

impl CreditStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            CreditStatus::Unmatched => "未匹配",
            CreditStatus::Proposed => "待确认",
            CreditStatus::Confirmed => "已核款",
            CreditStatus::Dismissed => "已忽略",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            CreditStatus::Unmatched => "Unmatched",
            CreditStatus::Proposed => "Proposed",
            CreditStatus::Confirmed => "Confirmed",
            CreditStatus::Dismissed => "Dismissed",
        }
    }

    /// The one table: a proposal is confirmed; anything still open may be set aside.
    pub fn apply(self, event: CreditEvent) -> Result<Transition<CreditStatus>, Refused> {
        let to = match (self, event) {
            (CreditStatus::Proposed, CreditEvent::Confirm) => CreditStatus::Confirmed,
            (CreditStatus::Unmatched | CreditStatus::Proposed, CreditEvent::Dismiss) => {
                CreditStatus::Dismissed
            }
            (from, event) => {
                return Err(Refused {
                    machine: "bank_credit",
                    from: from.as_str(),
                    event: event.as_str(),
                });
            }
        };
        Ok(Transition::new(self, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credit_pays_two_or_more_orders_only_when_one_way_adds_up() {
        // 260 + 180 = 440: one way.
        assert_eq!(
            ways_to_pay(&[26000, 18000, 50000], 44000, 2),
            vec![vec![0, 1]]
        );
        // Three orders at once.
        assert_eq!(
            ways_to_pay(&[26000, 18000, 50000], 94000, 2),
            vec![vec![0, 1, 2]]
        );
        // One order alone is not a combination (that is the single match).
        assert!(ways_to_pay(&[26000, 18000], 26000, 2).is_empty());
        // Two ways to make 520: ambiguous, so both are reported (up to `most`).
        assert_eq!(ways_to_pay(&[26000, 26000, 26000], 52000, 2).len(), 2);
        assert!(ways_to_pay(&[], 100, 2).is_empty());
        assert!(ways_to_pay(&[u64::MAX, 1], 0, 2).is_empty(), "no overflow");
        // Only the first twelve amounts are tried.
        let many = [100u64; 20];
        assert!(
            ways_to_pay(&many, 1300, 2).is_empty(),
            "13 orders is past the bound"
        );
        assert_eq!(
            ways_to_pay(&many, 1200, 2),
            vec![(0..12).collect::<Vec<_>>()]
        );
    }

    fn profile() -> BankProfile {
        BankProfile {
            code: "generic".into(),
            name_zh: "通用".into(),
            name_en: "Generic".into(),
            encoding: StatementEncoding::Utf8,
            skip_lines: 1,
            date_column: "交易日期".into(),
            credit_column: "贷方发生额".into(),
            remitter_column: "对方户名".into(),
            account_column: Some("对方账号".into()),
            remark_column: Some("摘要".into()),
        }
    }

    const CSV: &str = "\u{feff}账户明细查询 2026-11\r\n交易日期,借方发生额,贷方发生额,对方户名,对方账号,摘要\r\n2026-11-02 10:31:00,,\"26,000.00\",北京环保科技有限公司（北京）,6222000011112222,\"货款,DD20261102000001\"\r\n2026/11/03,100.00,,某供应商,1,付款\r\n20261104,,440,\"有\"\"引号\"\"的公司\",3,\r\n,,,,,\r\n";

    #[test]
    fn credits_are_read_through_the_profile() {
        let credits = read(&profile(), CSV.as_bytes()).unwrap();
        assert_eq!(
            credits.len(),
            2,
            "the debit and the empty line are left out"
        );
        assert_eq!(credits[0].row, 1);
        assert_eq!(credits[0].booked_on.to_string(), "2026-11-02");
        assert_eq!(credits[0].amount, Fen(2_600_000));
        assert_eq!(credits[0].remark, "货款,DD20261102000001");
        assert_eq!(credits[1].row, 3);
        assert_eq!(credits[1].booked_on.to_string(), "2026-11-04");
        assert_eq!(credits[1].amount, Fen(44000));
        assert_eq!(credits[1].remitter, "有\"引号\"的公司");
    }

    #[test]
    fn gbk_exports_are_read_when_the_profile_says_so() {
        let (gbk, _, _) = encoding_rs::GBK.encode(CSV.trim_start_matches('\u{feff}'));
        let mut gbk_profile = profile();
        gbk_profile.encoding = StatementEncoding::Gbk;
        let credits = read(&gbk_profile, &gbk).unwrap();
        assert_eq!(credits[0].remitter, "北京环保科技有限公司（北京）");
        let e = read(&profile(), &gbk).unwrap_err();
        assert_eq!(e.field, "file");
        assert!(e.zh.contains("UTF-8"), "{}", e.zh);
    }

    #[test]
    fn a_bad_file_is_refused_naming_the_line_and_column() {
        let bad_amount = "x\n交易日期,贷方发生额,对方户名\n2026-11-02,26O.00,甲\n";
        let mut p = profile();
        p.account_column = None;
        p.remark_column = None;
        let e = read(&p, bad_amount.as_bytes()).unwrap_err();
        assert!(
            e.zh.contains("第 3 行") && e.zh.contains("贷方发生额"),
            "{}",
            e.zh
        );
        let bad_date = "x\n交易日期,贷方发生额,对方户名\n02.11.2026,260.00,甲\n";
        assert!(
            read(&p, bad_date.as_bytes())
                .unwrap_err()
                .en
                .contains("not a date")
        );
        let wrong_bank = "x\n日期,金额,户名\n";
        assert!(
            read(&p, wrong_bank.as_bytes())
                .unwrap_err()
                .zh
                .contains("交易日期")
        );
        let open_quote = "x\n交易日期,贷方发生额,对方户名\n2026-11-02,\"260.00,甲\n";
        assert!(
            read(&p, open_quote.as_bytes())
                .unwrap_err()
                .zh
                .contains("引号")
        );
    }

    #[test]
    fn names_compare_across_widths_and_spaces() {
        assert_eq!(
            normalise_name("北京环保科技有限公司（北京） "),
            normalise_name("北京环保科技有限公司(北京)")
        );
        assert_eq!(normalise_name("ａｂｃ Ｃｏ．"), "ABCCO.");
        assert_ne!(normalise_name("北京信城通"), normalise_name("北京信诚通"));
    }

    #[test]
    fn every_credit_state_and_event_is_decided() {
        use CreditEvent as E;
        use CreditStatus as S;
        let expected = [
            (S::Proposed, E::Confirm, S::Confirmed),
            (S::Unmatched, E::Dismiss, S::Dismissed),
            (S::Proposed, E::Dismiss, S::Dismissed),
        ];
        crate::transition::assert_table(
            CreditStatus::ALL,
            &CreditEvent::ALL,
            &expected,
            CreditStatus::apply,
        );
    }
}
