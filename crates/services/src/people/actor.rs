//! Who is acting: for authorization checks and the audit log. Every use case takes its
//! actor and checks here what it may do; the web layer only hides what an operator cannot
//! use.

use domain::{Duty, Role, Roles, SeparationOfDuties};

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
    /// An operator in the console, with their roles.
    Operator {
        id: i64,
        username: String,
        roles: Roles,
    },
    /// A logged-in customer.
    Customer(i64),
    /// Someone not logged in, known by address (registration, login, SMS codes).
    Visitor { ip: String },
    /// CertHall itself (bootstrap, renewals, schedules).
    System,
}

impl Actor {
    /// How the actor appears in the audit log.
    pub fn label(&self) -> String {
        match self {
            Actor::Cli(user) => format!("cli:{user}"),
            Actor::ApiToken { name, .. } => format!("api-token:{name}"),
            Actor::Operator { id, username, .. } => format!("operator:{id}:{username}"),
            Actor::Customer(id) => format!("customer:{id}"),
            Actor::Visitor { ip } => format!("ip:{ip}"),
            Actor::System => "system".into(),
        }
    }

    /// Allowed when the actor has any of `roles`. Whoever runs the command line holds the
    /// database and the master key, and CertHall itself runs its own schedules: both may do
    /// anything. API tokens, customers and visitors hold no operator role.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ServiceError> {
        let allowed = match self {
            Actor::Cli(_) | Actor::System => true,
            Actor::Operator { roles: held, .. } => roles.iter().any(|r| held.contains(*r)),
            Actor::ApiToken { .. } | Actor::Customer(_) | Actor::Visitor { .. } => false,
        };
        if allowed {
            return Ok(());
        }
        let names_en: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let names_zh: Vec<&str> = roles.iter().map(|r| r.name_zh()).collect();
        Err(ServiceError::new(
            ErrorKind::Forbidden,
            "role_required",
            format!("this needs the role {}", names_en.join(" or ")),
            format!("此操作需要“{}”角色", names_zh.join("”或“")),
        ))
    }

    /// Allowed when the actor has the role of `duty` and, under `rules`, may do it on an
    /// application whose earlier steps were `done` (duty, operator id): whoever reviewed an
    /// application may not confirm its payment, and so on.
    pub fn require_duty(
        &self,
        duty: Duty,
        rules: &SeparationOfDuties,
        done: &[(Duty, i64)],
    ) -> Result<(), ServiceError> {
        self.require_any(&[duty.role()])?;
        let Actor::Operator { id, .. } = self else {
            return Ok(());
        };
        rules.check(duty, *id, done).map_err(|conflict| {
            ServiceError::new(
                ErrorKind::Forbidden,
                "duty_conflict",
                conflict.to_string(),
                format!(
                    "同一操作员不能对同一申请既{}又{}",
                    conflict.done.name_zh(),
                    conflict.wanted.name_zh()
                ),
            )
        })
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

    /// Whether the actor may use the CA named `ca` (issue, revoke, look up, publish). The
    /// CA engine's door is for registration-authority systems (within their token's
    /// scope), the command line and CertHall itself; an operator needs the administrator
    /// role (the business flows check their own roles and then act as the system);
    /// customers and visitors never open it.
    pub fn check_ca(&self, ca: &str) -> Result<(), ServiceError> {
        match self {
            Actor::ApiToken { cas, .. } if !cas.allows(ca) => Err(self.forbidden("CA", ca)),
            Actor::ApiToken { .. } | Actor::Cli(_) | Actor::System => Ok(()),
            Actor::Operator { .. } => self.require_any(&[Role::Admin]),
            Actor::Customer(_) | Actor::Visitor { .. } => Err(self.forbidden("CA", ca)),
        }
    }

    /// Whether the actor may look up, revoke or hold a certificate of CA `ca` issued with
    /// `profile`: a token only within its scope of CAs and profiles, as for issuance.
    pub fn check_certificate(&self, ca: &str, profile: &str) -> Result<(), ServiceError> {
        self.check_ca(ca)?;
        self.check_profile(profile)
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
        assert_eq!(
            Actor::Customer(3).check_ca("ecdsa-ca").unwrap_err().kind,
            ErrorKind::Forbidden,
            "customers never use the CA engine directly"
        );
        let reviewer = Actor::Operator {
            id: 7,
            username: "li".into(),
            roles: "reviewer".parse().unwrap(),
        };
        assert_eq!(
            reviewer.check_ca("ecdsa-ca").unwrap_err().code,
            "role_required"
        );
    }

    #[test]
    fn roles_and_duties_are_checked_for_operators_only() {
        let reviewer = Actor::Operator {
            id: 7,
            username: "li".into(),
            roles: "reviewer,finance".parse().unwrap(),
        };
        assert!(reviewer.require_any(&[Role::Reviewer]).is_ok());
        let e = reviewer.require_any(&[Role::Admin]).unwrap_err();
        assert_eq!((e.kind, e.code), (ErrorKind::Forbidden, "role_required"));
        assert!(Actor::Customer(1).require_any(&[Role::Admin]).is_err());
        assert!(
            Actor::Cli("root".into())
                .require_any(&[Role::Admin])
                .is_ok()
        );

        let rules = SeparationOfDuties::recommended();
        let reviewed_by_7 = [(Duty::Review, 7)];
        let e = reviewer
            .require_duty(Duty::ConfirmPayment, &rules, &reviewed_by_7)
            .unwrap_err();
        assert_eq!(e.code, "duty_conflict");
        assert!(e.message_zh.contains("审核") && e.message_zh.contains("财务核款"));
        assert!(
            reviewer
                .require_duty(Duty::ConfirmPayment, &rules, &[(Duty::Review, 8)])
                .is_ok()
        );
        assert_eq!(
            reviewer
                .require_duty(Duty::Produce, &rules, &[])
                .unwrap_err()
                .code,
            "role_required"
        );
    }
}
