//! Who is acting: for authorization checks and the audit log.

use crate::{ErrorKind, ServiceError};

/// A set of names a token may use: everything, or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Only(Vec<String>),
}

impl Scope {
    pub fn parse(text: &str) -> Scope {
        let names: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if names.is_empty() || names.iter().any(|n| n == "*") {
            Scope::All
        } else {
            Scope::Only(names)
        }
    }

    pub fn allows(&self, name: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Only(names) => names.iter().any(|n| n == name),
        }
    }

    pub fn to_text(&self) -> String {
        match self {
            Scope::All => "*".into(),
            Scope::Only(names) => names.join(","),
        }
    }
}

/// Who performs an action.
#[derive(Debug, Clone)]
pub enum Actor {
    /// An operator at the command line (the OS user).
    Cli(String),
    /// An API token, limited to some CAs and profiles.
    ApiToken {
        name: String,
        cas: Scope,
        profiles: Scope,
    },
    /// An operator in the console.
    Operator { id: i64, username: String },
    /// CertHall itself (bootstrap, renewals, schedules).
    System,
}

impl Actor {
    /// How the actor appears in the audit log.
    pub fn label(&self) -> String {
        match self {
            Actor::Cli(user) => format!("cli:{user}"),
            Actor::ApiToken { name, .. } => format!("api-token:{name}"),
            Actor::Operator { id, username } => format!("operator:{id}:{username}"),
            Actor::System => "system".into(),
        }
    }

    fn forbidden(&self, what: &str, name: &str) -> ServiceError {
        ServiceError::new(
            ErrorKind::Forbidden,
            "forbidden",
            format!("{} may not use {what} {name:?}", self.label()),
            format!(
                "{} 无权使用{}“{name}”",
                self.label(),
                if what == "CA" { " CA " } else { "证书模板" }
            ),
        )
        .with_field(if what == "CA" { "ca" } else { "profile" })
    }

    pub fn check_ca(&self, ca: &str) -> Result<(), ServiceError> {
        match self {
            Actor::ApiToken { cas, .. } if !cas.allows(ca) => Err(self.forbidden("CA", ca)),
            _ => Ok(()),
        }
    }

    pub fn check_profile(&self, profile: &str) -> Result<(), ServiceError> {
        match self {
            Actor::ApiToken { profiles, .. } if !profiles.allows(profile) => {
                Err(self.forbidden("profile", profile))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_allow() {
        assert_eq!(Scope::parse("*"), Scope::All);
        assert_eq!(Scope::parse(""), Scope::All);
        let s = Scope::parse("ecdsa-ca, sm2-ca");
        assert!(s.allows("sm2-ca") && !s.allows("rsa-ca"));
        assert_eq!(s.to_text(), "ecdsa-ca,sm2-ca");
    }

    #[test]
    fn token_scope_limits_cas_and_profiles() {
        let actor = Actor::ApiToken {
            name: "ra".into(),
            cas: Scope::parse("ecdsa-ca"),
            profiles: Scope::parse("org-sign"),
        };
        assert!(actor.check_ca("ecdsa-ca").is_ok());
        assert_eq!(
            actor.check_ca("rsa-ca").unwrap_err().kind,
            ErrorKind::Forbidden
        );
        assert_eq!(
            actor.check_profile("ocsp").unwrap_err().field.as_deref(),
            Some("profile")
        );
        assert!(Actor::Cli("root".into()).check_ca("anything").is_ok());
    }
}
