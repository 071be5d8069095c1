//! Operator roles (combinable) and what each may do.

use std::fmt;
use std::str::FromStr;

/// A role of the operator console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// 审核: reviews applications.
    Reviewer,
    /// 财务: confirms payments and invoices.
    Finance,
    /// 制证: produces keys and certificates.
    Producer,
    /// 发货: ships.
    Shipper,
    /// 受理点: serves customers at the counter.
    Counter,
    /// 管理员: operators, channels, settings, the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Reviewer,
        Role::Finance,
        Role::Producer,
        Role::Shipper,
        Role::Counter,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Finance => "finance",
            Role::Producer => "producer",
            Role::Shipper => "shipper",
            Role::Counter => "counter",
            Role::Admin => "admin",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Reviewer => "审核",
            Role::Finance => "财务",
            Role::Producer => "制证",
            Role::Shipper => "发货",
            Role::Counter => "受理点",
            Role::Admin => "管理员",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (roles: reviewer, finance, producer, shipper, counter, admin)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.trim().to_string()))
    }
}

/// A non-empty set of roles, stored as a comma-separated list in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl FromStr for Roles {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut roles: Vec<Role> = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(UnknownRole(String::new()));
        }
        Ok(Roles(roles))
    }
}

/// Roles read straight from their column (comma-separated names).
impl TryFrom<String> for Roles {
    type Error = UnknownRole;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_combine_and_print_in_a_fixed_order() {
        let roles: Roles = "admin, reviewer,reviewer".parse().unwrap();
        assert_eq!(roles.to_text(), "reviewer,admin");
        assert!(roles.contains(Role::Admin) && !roles.contains(Role::Finance));
        assert_eq!("boss".parse::<Roles>(), Err(UnknownRole("boss".into())));
        assert!("".parse::<Roles>().is_err());
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
    }
}
