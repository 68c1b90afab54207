//! Test certificates made in the test: a root CA, an intermediate CA and a server certificate
//! for 127.0.0.1 / localhost (EC P-256), so the server is tested with a real chain file.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName, SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509NameBuilder, X509};

/// A CA-issued server certificate written to files.
pub struct Issued {
    /// The root CA a client must trust.
    pub root: X509,
    /// The server certificate (the first in `cert_file`).
    pub leaf: X509,
    /// PEM: server certificate, then the intermediate CA.
    pub cert_file: PathBuf,
    /// PEM: the server certificate's private key (PKCS #8).
    pub key_file: PathBuf,
}

fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn certificate(name: &str, key: &PKey<Private>, issuer: Option<(&X509, &PKey<Private>)>, ca: bool) -> X509 {
    let mut subject = X509NameBuilder::new().unwrap();
    subject.append_entry_by_nid(Nid::COMMONNAME, name).unwrap();
    let subject = subject.build();
    let mut builder = X509Builder::new().unwrap();
    builder.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(120, MsbOption::MAYBE_ZERO, false).unwrap();
    builder.set_serial_number(&serial.to_asn1_integer().unwrap()).unwrap();
    builder.set_subject_name(&subject).unwrap();
    builder.set_issuer_name(issuer.map_or(&subject, |(cert, _)| cert.subject_name())).unwrap();
    builder.set_pubkey(key).unwrap();
    builder.set_not_before(&Asn1Time::from_unix(crate::common::Running::now() - 3600).unwrap()).unwrap();
    builder.set_not_after(&Asn1Time::days_from_now(2).unwrap()).unwrap();
    if ca {
        builder.append_extension(BasicConstraints::new().critical().ca().build().unwrap()).unwrap();
        builder.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build().unwrap()).unwrap();
    } else {
        builder.append_extension(BasicConstraints::new().critical().build().unwrap()).unwrap();
        builder.append_extension(KeyUsage::new().critical().digital_signature().build().unwrap()).unwrap();
        builder.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap()).unwrap();
    }
    let ski = SubjectKeyIdentifier::new().build(&builder.x509v3_context(issuer.map(|(c, _)| &**c), None)).unwrap();
    builder.append_extension(ski).unwrap();
    if let Some((issuer_cert, _)) = issuer {
        let aki = AuthorityKeyIdentifier::new().keyid(true).build(&builder.x509v3_context(Some(issuer_cert), None));
        builder.append_extension(aki.unwrap()).unwrap();
        if !ca {
            let san = SubjectAlternativeName::new()
                .ip("127.0.0.1")
                .dns("localhost")
                .build(&builder.x509v3_context(Some(issuer_cert), None))
                .unwrap();
            builder.append_extension(san).unwrap();
        }
    }
    let signer = issuer.map_or(key, |(_, k)| k);
    builder.sign(signer, MessageDigest::sha256()).unwrap();
    builder.build()
}

/// Makes a root CA, an intermediate and a server certificate for 127.0.0.1, and writes the
/// chain and key as `<prefix>cert.pem` / `<prefix>key.pem` in `dir`.
pub fn issue(dir: &Path, prefix: &str) -> Issued {
    let root_key = ec_key();
    let root = certificate(&format!("{prefix}Keystead Test Root"), &root_key, None, true);
    let intermediate_key = ec_key();
    let intermediate = certificate("Keystead Test Intermediate", &intermediate_key, Some((&root, &root_key)), true);
    let leaf_key = ec_key();
    let leaf = certificate("localhost", &leaf_key, Some((&intermediate, &intermediate_key)), false);
    let cert_file = dir.join(format!("{prefix}cert.pem"));
    let key_file = dir.join(format!("{prefix}key.pem"));
    let mut chain = leaf.to_pem().unwrap();
    chain.extend(intermediate.to_pem().unwrap());
    std::fs::write(&cert_file, chain).unwrap();
    std::fs::write(&key_file, leaf_key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    Issued { root, leaf, cert_file, key_file }
}
