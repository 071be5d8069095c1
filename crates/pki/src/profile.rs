//! Certificate profiles: what each kind of certificate carries.
//!
//! A profile decides which subject attributes are required, the key usage and extended key
//! usage, the validity limits, and which of the publication extensions (AIA, CRL
//! distribution points, certificate policies) go in. CA certificates have profiles too, so
//! the whole hierarchy is built by the same code.

use std::fmt;
use std::str::FromStr;

use const_oid::AssociatedOid;
use der::asn1::{Ia5String, Null, ObjectIdentifier, OctetString, PrintableStringRef};
use der::{Encode, flagset::FlagSet};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CertificatePolicies, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};

use crate::name::SubjectFields;
use crate::{KeyFamily, PkiError, oids};

/// RFC 5280 anyPolicy, used in CA certificates.
pub const ANY_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32.0");

/// Every certificate profile CertHall knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// 机构签名证书: an organisation's signing certificate.
    OrgSign,
    /// 机构加密证书: an organisation's encryption certificate.
    OrgEnc,
    /// 个人证书: an individual's signing certificate.
    PersonSign,
    /// A CA's delegated OCSP responder certificate.
    Ocsp,
    /// A self-signed root CA.
    RootCa,
    /// An issuing (intermediate) CA under a root.
    IssuingCa,
}

/// Whom an end-entity certificate names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    /// An organisation (enterprise, individual business, public institution).
    Organization,
    /// A person.
    Person,
}

/// Where a CA's status and certificate are published; goes into AIA and CRL DP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationUrls {
    pub ocsp: String,
    pub ca_issuers: String,
    pub crl: String,
}

impl PublicationUrls {
    /// URLs of the CA named `ca` under a public base URL such as `http://pki.example.cn`.
    pub fn for_ca(base_url: &str, ca: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        PublicationUrls {
            ocsp: format!("{base}/ocsp"),
            ca_issuers: format!("{base}/pki/ca/{ca}.crt"),
            crl: format!("{base}/pki/crl/{ca}.crl"),
        }
    }
}

/// What the profile needs to know about the issuer and the subject to build extensions.
pub struct ExtensionInputs<'a> {
    pub family: KeyFamily,
    pub subject: &'a SubjectFields,
    pub subject_key: &'a SubjectPublicKeyInfoOwned,
    /// The issuer's subject key identifier (equal to the subject's for a root).
    pub issuer_key_id: &'a [u8],
    /// The issuer's publication URLs; `None` for a root (nothing above it publishes).
    pub issuer_urls: Option<&'a PublicationUrls>,
    /// The certificate policy OID of the CA's CPS, for end-entity certificates.
    pub policy_oid: ObjectIdentifier,
}

impl Profile {
    /// Profiles an operator may issue with `ca issue`.
    pub const END_ENTITY: [Profile; 4] = [
        Profile::OrgSign,
        Profile::OrgEnc,
        Profile::PersonSign,
        Profile::Ocsp,
    ];

    /// Whom certificates of this profile are for (`None`: CA and responder profiles).
    pub fn holder(self) -> Option<Holder> {
        match self {
            Profile::OrgSign | Profile::OrgEnc => Some(Holder::Organization),
            Profile::PersonSign => Some(Holder::Person),
            Profile::Ocsp | Profile::RootCa | Profile::IssuingCa => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::OrgSign => "org-sign",
            Profile::OrgEnc => "org-enc",
            Profile::PersonSign => "person-sign",
            Profile::Ocsp => "ocsp",
            Profile::RootCa => "root-ca",
            Profile::IssuingCa => "issuing-ca",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Profile::OrgSign => "机构签名证书 / organisation signing certificate",
            Profile::OrgEnc => "机构加密证书 / organisation encryption certificate",
            Profile::PersonSign => "个人证书 / individual signing certificate",
            Profile::Ocsp => "OCSP 签名证书 / delegated OCSP responder",
            Profile::RootCa => "根 CA / root CA",
            Profile::IssuingCa => "签发 CA / issuing CA",
        }
    }

    /// Validity when none is asked for, in days.
    pub fn default_days(self) -> u32 {
        match self {
            Profile::OrgSign | Profile::OrgEnc | Profile::PersonSign => 365,
            Profile::Ocsp => 30,
            Profile::RootCa => 20 * 365 + 5,
            Profile::IssuingCa => 10 * 365 + 2,
        }
    }

    /// The longest validity the profile allows, in days.
    pub fn max_days(self) -> u32 {
        match self {
            Profile::OrgSign | Profile::OrgEnc | Profile::PersonSign => 5 * 365 + 1,
            Profile::Ocsp => 90,
            Profile::RootCa => 30 * 365 + 8,
            Profile::IssuingCa => 20 * 365 + 5,
        }
    }

    /// The subject attributes the profile requires, with the reason, or `Ok`.
    pub fn check_subject(self, subject: &SubjectFields) -> Result<(), PkiError> {
        let missing = |field: &str, reason: &str| {
            Err(PkiError::Subject {
                field: field.to_string(),
                reason: format!("required by profile {}: {reason}", self.name()),
            })
        };
        match self {
            Profile::OrgSign | Profile::OrgEnc => {
                if subject.organization.is_none() {
                    return missing("O", "the organisation name");
                }
                if subject.organization_identifier.is_none() {
                    return missing(
                        "organizationIdentifier",
                        "the unified social credit code (统一社会信用代码)",
                    );
                }
            }
            Profile::PersonSign => {
                if subject.common_name.is_none() {
                    return missing("CN", "the person's name");
                }
                if subject.organization_identifier.is_some() {
                    return Err(PkiError::Subject {
                        field: "organizationIdentifier".into(),
                        reason: "an individual certificate carries no organisation code".into(),
                    });
                }
            }
            Profile::Ocsp | Profile::RootCa | Profile::IssuingCa => {
                if subject.common_name.is_none() {
                    return missing("CN", "the name");
                }
            }
        }
        Ok(())
    }

    fn key_usage(self, family: KeyFamily) -> FlagSet<KeyUsages> {
        match self {
            Profile::OrgSign | Profile::PersonSign => {
                KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
            }
            Profile::OrgEnc => match family {
                KeyFamily::Rsa => KeyUsages::KeyEncipherment | KeyUsages::DataEncipherment,
                // SM2 keys are id-ecPublicKey keys, and RFC 5480 §3 prohibits
                // keyEncipherment and dataEncipherment for those (pkilint enforces it), so
                // SM2 encryption certificates say keyAgreement like P-256 ones. Some GM/T
                // 0015 deployments set all three; docs/PROFILES.md explains the choice.
                KeyFamily::EcdsaP256 | KeyFamily::Sm2 => KeyUsages::KeyAgreement.into(),
            },
            Profile::Ocsp => KeyUsages::DigitalSignature.into(),
            Profile::RootCa | Profile::IssuingCa => KeyUsages::KeyCertSign | KeyUsages::CRLSign,
        }
    }

    fn extended_key_usage(self) -> Option<Vec<ObjectIdentifier>> {
        match self {
            Profile::OrgSign | Profile::PersonSign => {
                Some(vec![oids::ID_KP_CLIENT_AUTH, oids::ID_KP_EMAIL_PROTECTION])
            }
            Profile::OrgEnc => Some(vec![oids::ID_KP_EMAIL_PROTECTION]),
            Profile::Ocsp => Some(vec![oids::ID_KP_OCSP_SIGNING]),
            Profile::RootCa | Profile::IssuingCa => None,
        }
    }

    /// One line per extension, for `ca profiles`.
    pub fn summary(self, family: KeyFamily) -> Vec<String> {
        let mut lines = Vec::new();
        let subject = match self {
            Profile::OrgSign | Profile::OrgEnc => {
                "subject: C, ST, L, O (required), OU (department), organizationIdentifier (USCC, required), CN"
            }
            Profile::PersonSign => {
                "subject: C, ST, L, O, OU, serialNumber (ID number hash), CN (required)"
            }
            _ => "subject: CN (required), O, C",
        };
        lines.push(subject.to_string());
        let usages: Vec<String> = self
            .key_usage(family)
            .into_iter()
            .map(|u| format!("{u:?}"))
            .collect();
        lines.push(format!("keyUsage (critical): {}", usages.join(", ")));
        if let Some(eku) = self.extended_key_usage() {
            let names: Vec<&str> = eku.iter().map(|o| eku_name(*o)).collect();
            lines.push(format!("extendedKeyUsage: {}", names.join(", ")));
        }
        match self {
            Profile::RootCa => lines.push("basicConstraints (critical): CA".into()),
            Profile::IssuingCa => lines.push("basicConstraints (critical): CA, pathLen 0".into()),
            _ => {}
        }
        if matches!(self, Profile::OrgSign | Profile::OrgEnc) && family == KeyFamily::Sm2 {
            lines.push("GM/T 0015 USCC identity extension 1.2.156.10260.4.4".into());
        }
        if self == Profile::Ocsp {
            lines.push("id-pkix-ocsp-nocheck".into());
        }
        if self != Profile::RootCa {
            let ocsp = if self == Profile::Ocsp {
                ""
            } else {
                "OCSP and "
            };
            lines.push(format!(
                "authorityInfoAccess: {ocsp}caIssuers URLs of the issuer"
            ));
            lines.push("cRLDistributionPoints: the issuer's CRL URL".into());
            lines.push("certificatePolicies: the configured policy OID".into());
        }
        lines.push("subjectKeyIdentifier, authorityKeyIdentifier".into());
        lines.push(format!(
            "validity: default {} days, at most {} days",
            self.default_days(),
            self.max_days()
        ));
        lines
    }

    /// The extensions of a certificate of this profile.
    pub fn extensions(self, inputs: &ExtensionInputs<'_>) -> Result<Vec<Extension>, PkiError> {
        let mut exts = Vec::new();
        match self {
            Profile::RootCa => exts.push(extension(
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: None,
                },
                true,
            )?),
            Profile::IssuingCa => exts.push(extension(
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(0),
                },
                true,
            )?),
            _ => {}
        }
        exts.push(extension(&KeyUsage(self.key_usage(inputs.family)), true)?);
        if let Some(eku) = self.extended_key_usage() {
            exts.push(extension(&ExtendedKeyUsage(eku), false)?);
        }
        let ski = key_identifier(inputs.subject_key);
        exts.push(extension(
            &SubjectKeyIdentifier(OctetString::new(ski.clone())?),
            false,
        )?);
        exts.push(extension(
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(inputs.issuer_key_id)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
            false,
        )?);
        if let Some(urls) = inputs.issuer_urls {
            let mut access = Vec::new();
            if self != Profile::Ocsp {
                access.push(AccessDescription {
                    access_method: const_oid::db::rfc5280::ID_AD_OCSP,
                    access_location: uri(&urls.ocsp)?,
                });
            }
            access.push(AccessDescription {
                access_method: const_oid::db::rfc5280::ID_AD_CA_ISSUERS,
                access_location: uri(&urls.ca_issuers)?,
            });
            exts.push(extension(&AuthorityInfoAccessSyntax(access), false)?);
            exts.push(extension(
                &CrlDistributionPoints(vec![DistributionPoint {
                    distribution_point: Some(DistributionPointName::FullName(vec![
                        uri(&urls.crl)?,
                    ])),
                    reasons: None,
                    crl_issuer: None,
                }]),
                false,
            )?);
            let policy = if self == Profile::IssuingCa {
                ANY_POLICY
            } else {
                inputs.policy_oid
            };
            exts.push(extension(
                &CertificatePolicies(vec![PolicyInformation {
                    policy_identifier: policy,
                    policy_qualifiers: None,
                }]),
                false,
            )?);
        }
        if matches!(self, Profile::OrgSign | Profile::OrgEnc)
            && inputs.family == KeyFamily::Sm2
            && let Some(uscc) = &inputs.subject.organization_identifier
        {
            let value = PrintableStringRef::new(uscc.as_str())?.to_der()?;
            exts.push(Extension {
                extn_id: oids::GMT0015_USCC,
                critical: false,
                extn_value: OctetString::new(value)?,
            });
        }
        if self == Profile::Ocsp {
            exts.push(Extension {
                extn_id: oids::OCSP_NOCHECK,
                critical: false,
                extn_value: OctetString::new(Null.to_der()?)?,
            });
        }
        Ok(exts)
    }
}

fn eku_name(oid: ObjectIdentifier) -> &'static str {
    match oid {
        oids::ID_KP_CLIENT_AUTH => "clientAuth",
        oids::ID_KP_EMAIL_PROTECTION => "emailProtection",
        oids::ID_KP_OCSP_SIGNING => "OCSPSigning",
        _ => "other",
    }
}

fn uri(url: &str) -> Result<GeneralName, PkiError> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(url)?))
}

fn extension<T: AssociatedOid + Encode>(value: &T, critical: bool) -> Result<Extension, PkiError> {
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
pub fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        spki.subject_public_key.raw_bytes(),
    )
    .as_ref()
    .to_vec()
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = PkiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Profile::OrgSign,
            Profile::OrgEnc,
            Profile::PersonSign,
            Profile::Ocsp,
            Profile::RootCa,
            Profile::IssuingCa,
        ]
        .into_iter()
        .find(|p| p.name() == s)
        .ok_or_else(|| PkiError::UnknownProfile(s.to_string()))
    }
}
