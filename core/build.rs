//! Tells the code which OpenSSL it links: ML-DSA needs OpenSSL 3.5 or newer (the vendored
//! build is; a system OpenSSL 3.0 is not).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ossl350)");
    if let Ok(version) = std::env::var("DEP_OPENSSL_VERSION_NUMBER") {
        if u64::from_str_radix(&version, 16).is_ok_and(|v| v >= 0x3050_0000) {
            println!("cargo::rustc-cfg=ossl350");
        }
    }
}
