//! The business types (业务类型): every one is an application that goes through the same
//! pipeline, online (网上办理) or at the counter (现场办理).

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusinessType {
    /// 新办（初次/追加）.
    New,
    /// 更新/续费/延期.
    Renewal,
    /// 解锁.
    Unlock,
    /// 丢失补办.
    LossReplacement,
    /// 损坏补办.
    DamageReplacement,
    /// 信息变更.
    Change,
    /// 吊销.
    Revocation,
}

impl BusinessType {
    pub const ALL: [BusinessType; 7] = [
        BusinessType::New,
        BusinessType::Renewal,
        BusinessType::Unlock,
        BusinessType::LossReplacement,
        BusinessType::DamageReplacement,
        BusinessType::Change,
        BusinessType::Revocation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BusinessType::New => "new",
            BusinessType::Renewal => "renewal",
            BusinessType::Unlock => "unlock",
            BusinessType::LossReplacement => "loss_replacement",
            BusinessType::DamageReplacement => "damage_replacement",
            BusinessType::Change => "change",
            BusinessType::Revocation => "revocation",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            BusinessType::New => "证书新办",
            BusinessType::Renewal => "证书更新",
            BusinessType::Unlock => "证书解锁",
            BusinessType::LossReplacement => "丢失补办",
            BusinessType::DamageReplacement => "损坏补办",
            BusinessType::Change => "信息变更",
            BusinessType::Revocation => "证书吊销",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            BusinessType::New => "New certificate",
            BusinessType::Renewal => "Renewal",
            BusinessType::Unlock => "Unlock",
            BusinessType::LossReplacement => "Loss replacement",
            BusinessType::DamageReplacement => "Damage replacement",
            BusinessType::Change => "Information change",
            BusinessType::Revocation => "Revocation",
        }
    }
}

impl fmt::Display for BusinessType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
