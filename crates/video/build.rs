//! Fails the build when `nasm` is missing on x86 targets.
//!
//! openh264-sys2 silently falls back to plain C when it cannot run `nasm`, which encodes about 2.5
//! times slower. Its build script only prints that inside `target/`, so this script checks first
//! and stops the build with the fix. Set `SBH_ALLOW_SLOW_H264=1` to build without assembly anyway.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SBH_ALLOW_SLOW_H264");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rerun-if-env-changed=OPENH264_NO_ASM");

    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if arch != "x86_64" && arch != "x86" {
        return;
    }

    if std::env::var_os("OPENH264_NO_ASM").is_some() {
        println!(
            "cargo:warning=OPENH264_NO_ASM is set: openh264 is built without assembly and encodes about 2.5x slower"
        );
    }

    let nasm_works = Command::new("nasm").arg("-v").output().is_ok_and(|output| output.status.success());
    if nasm_works {
        return;
    }

    if std::env::var_os("SBH_ALLOW_SLOW_H264").is_some() {
        println!(
            "cargo:warning=nasm not found: openh264 is built without assembly and encodes about 2.5x slower"
        );
        return;
    }
    panic!(
        "nasm not found on PATH: openh264 would be built without assembly and encode about 2.5x slower; \
         install it (apt-get install nasm) or set SBH_ALLOW_SLOW_H264=1 to build the slow encoder"
    );
}
