//! The business hall's configuration: the site (CA name, hotline, service hours), the
//! separation-of-duties rules and the channels that seed the database. One TOML file,
//! embedded by default (`hall.toml` beside this crate).

use std::path::Path;

use domain::channel::Holder;
use domain::{Channel, FieldError, SeparationOfDuties};
use serde::{Deserialize, Serialize};

/// The configuration shipped in the binary.
pub const DEFAULT_HALL_TOML: &str = include_str!("../../hall.toml");

/// What the header and footer of every page show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub ca_name_zh: String,
    pub ca_name_en: String,
    pub hotline: String,
    pub service_hours_zh: String,
    pub service_hours_en: String,
    pub email: String,
    /// The version of the service agreement and privacy policy customers accept when they
    /// register (recorded with each registration); change it when the texts change.
    #[serde(default = "first_terms")]
    pub terms_version: String,
    /// The address printed as the sender's on waybills made through the courier platform
    /// (`省 市 区 详细地址`); without it waybills are not made, numbers are typed.
    #[serde(default)]
    pub shipping_from: Option<String>,
}

fn first_terms() -> String {
    "1".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HallConfig {
    pub site: Site,
    #[serde(default)]
    pub separation_of_duties: SeparationOfDuties,
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// How each bank's statement export is read, for finance's import.
    #[serde(default)]
    pub bank_profiles: Vec<domain::statement::BankProfile>,
    #[serde(default)]
    pub inventory: Inventory,
}

/// The USB key inventory's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// A model with fewer blank keys in stock than this is flagged (dashboard, inventory).
    #[serde(default = "default_low_stock")]
    pub low_stock: u32,
}

fn default_low_stock() -> u32 {
    20
}

impl Default for Inventory {
    fn default() -> Self {
        Inventory {
            low_stock: default_low_stock(),
        }
    }
}

impl HallConfig {
    /// Parses and checks a configuration; errors name the field (`channels[2].fees`…).
    pub fn parse(text: &str) -> Result<HallConfig, String> {
        let config: HallConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, channel) in config.channels.iter().enumerate() {
            check_channel(channel).map_err(|e| format!("channels[{i}].{}: {}", e.field, e.en))?;
            if config.channels[..i].iter().any(|c| c.code == channel.code) {
                return Err(format!("channels[{i}].code: {:?} used twice", channel.code));
            }
        }
        for (i, profile) in config.bank_profiles.iter().enumerate() {
            let code_ok = (2..=32).contains(&profile.code.len())
                && profile
                    .code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !code_ok {
                return Err(format!(
                    "bank_profiles[{i}].code: 2 to 32 lowercase letters, digits or '-'"
                ));
            }
            if config.bank_profiles[..i]
                .iter()
                .any(|p| p.code == profile.code)
            {
                return Err(format!(
                    "bank_profiles[{i}].code: {:?} used twice",
                    profile.code
                ));
            }
        }
        Ok(config)
    }

    /// The file at `path`, or the embedded default.
    pub fn load(path: Option<&Path>) -> Result<HallConfig, String> {
        match path {
            None => HallConfig::parse(DEFAULT_HALL_TOML),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                HallConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }
}

/// A channel's own coherence plus what only the CA engine knows: its products name real
/// profiles for the right kind of holder.
pub fn check_channel(channel: &Channel) -> Result<(), FieldError> {
    channel.validate()?;
    for (i, product) in channel.products.iter().enumerate() {
        let Ok(profile) = product.profile.parse::<pki::profile::Profile>() else {
            return Err(FieldError::new(
                format!("products[{i}].profile"),
                "invalid_channel",
                format!(
                    "unknown profile {:?} (see `certhall ca profiles`)",
                    product.profile
                ),
                format!("证书模板“{}”不存在", product.profile),
            ));
        };
        let holder_ok = match product.holder {
            Holder::Organization => profile.holder() == Some(pki::profile::Holder::Organization),
            Holder::Individual => profile.holder() == Some(pki::profile::Holder::Person),
        };
        if !holder_ok {
            return Err(FieldError::new(
                format!("products[{i}].profile"),
                "invalid_channel",
                format!("profile {} does not suit this holder", profile.name()),
                format!("证书模板“{}”与持有者类型不符", profile.name()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::BusinessType;
    use domain::Fen;

    #[test]
    fn the_embedded_configuration_has_the_five_seed_channels() {
        let config = HallConfig::parse(DEFAULT_HALL_TOML).unwrap();
        let codes: Vec<&str> = config.channels.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["huanbao", "zgjg", "xct", "fjca", "cecep"]);
        let zgjg = &config.channels[1];
        // Seed 001: 260 per set, 80 for the medium on replacement, 180 per year renewal,
        // new certificates at the counter only, unlock free.
        assert_eq!(zgjg.fees.new_per_set, Fen(26000));
        assert_eq!(zgjg.fees.loss_replacement, Fen(8000));
        assert_eq!(zgjg.fees.renewal_per_year, Fen(18000));
        assert!(!zgjg.business[&BusinessType::New].online);
        assert_eq!(zgjg.fees.unlock, Fen::ZERO);
        let huanbao = &config.channels[0];
        assert_eq!(huanbao.custom_fields[0].key, "ten_ring_cert_no");
        assert_eq!(huanbao.products[0].validity_years, [1, 2]);
        assert_eq!(huanbao.fees.new_certificate(2), Some(Fen(44000)));
        assert_eq!(huanbao.shipping_promise_working_days, 3);
        assert!(
            config
                .separation_of_duties
                .check(
                    domain::Duty::ConfirmPayment,
                    1,
                    &[(domain::Duty::Review, 1)]
                )
                .is_err()
        );
    }

    #[test]
    fn a_bad_channel_is_refused_naming_the_field() {
        let bad = DEFAULT_HALL_TOML.replacen("validity_years = [1, 2]", "validity_years = [0]", 1);
        let e = HallConfig::parse(&bad).unwrap_err();
        assert!(
            e.starts_with("channels[0].products[0].validity_years"),
            "{e}"
        );
        let bad =
            DEFAULT_HALL_TOML.replacen("profile = \"org-sign\"", "profile = \"person-sign\"", 1);
        let e = HallConfig::parse(&bad).unwrap_err();
        assert!(e.starts_with("channels[0].products[0].profile"), "{e}");
        let bad =
            DEFAULT_HALL_TOML.replacen("payment_methods = [\"online\", \"bank_transfer\"]", "", 1);
        let e = HallConfig::parse(&bad).unwrap_err();
        assert!(
            e.starts_with("channels[0].business.new.payment_methods"),
            "{e}"
        );
        let bad = DEFAULT_HALL_TOML.replacen("new_per_set = 26000", "new_per_set = -1", 1);
        assert!(HallConfig::parse(&bad).is_err());
        let bad =
            DEFAULT_HALL_TOML.replacen("pattern = \"[A-Za-z0-9-]{4,40}\"", "pattern = \"[\"", 1);
        let e = HallConfig::parse(&bad).unwrap_err();
        assert!(e.starts_with("channels[0].custom_fields[0].pattern"), "{e}");
    }

    #[test]
    fn custom_fields_check_their_pattern() {
        let config = HallConfig::parse(DEFAULT_HALL_TOML).unwrap();
        let field = &config.channels[0].custom_fields[0];
        assert!(field.accepts("CEC-2024-0815"));
        assert!(!field.accepts(""));
        assert!(!field.accepts("a b"));
        assert!(!field.accepts("CEC-2024-0815; DROP"));
    }
}
