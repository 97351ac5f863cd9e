//! The web page in a real browser: headless Chromium (scripts/browser-shot) loads `/` on the
//! demo, asks for 333-dst-1's access paths and saves a screenshot of the drawn graph.

mod api_support;

use std::path::Path;
use std::process::Command;

use api_support::{Server, support};

fn chromium() -> Option<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/browser-shot");
    if let Ok(o) = Command::new(&script).arg("--path").output()
        && o.status.success()
    {
        return Some(String::from_utf8_lossy(&o.stdout).trim().to_string());
    }
    support::require_env(
        "PATHHOUND_CHROMIUM",
        "headless Chromium (Debian package chromium; scripts/browser-shot --install)",
    )
}

#[test]
fn the_page_draws_333_dst_1_s_paths() {
    let Some(_) = chromium() else { return };
    let s = Server::start(&["--demo"], None);
    // The page, its scripts and the vendored library are served by the binary.
    let index = reqwest::blocking_get(&s.url("/"));
    assert!(index.contains("/static/cytoscape.min.js"));
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-333-dst-1.png");
    let _ = std::fs::remove_file(&shot);
    let url = s.url(
        "/?resource=arn:aws:iam::333333333333:role/333-dst-1&service=STS&capabilities=use-resource",
    );
    let out = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/browser-shot"))
        .args([url.as_str(), shot.to_str().unwrap(), "1400,1000"])
        .output()
        .expect("scripts/browser-shot runs");
    assert!(
        out.status.success(),
        "browser-shot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    // Seed 001's 12 paths, drawn: 12 principals and accounts, 13 edges (the cycle included).
    assert!(
        dom.contains("data-ready=\"12\""),
        "the page did not finish: {dom}"
    );
    assert!(
        dom.contains("12 paths, 12 principals and accounts, 13 edges"),
        "{dom}"
    );
    assert!(
        dom.contains("arn:aws:iam::555555555555:role/555-src-1"),
        "the path list names 555-src-1"
    );
    // A real PNG of the requested size with content (a blank page compresses to a few KB).
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (1400, 1000));
    assert!(
        png.len() > 40_000,
        "screenshot looks blank: {} bytes",
        png.len()
    );
    println!("screenshot: {}", shot.display());
    if let Ok(dir) = std::env::var("PATHHOUND_SCREENSHOT_DIR") {
        let _ = std::fs::copy(&shot, Path::new(&dir).join("web-333-dst-1.png"));
    }
}

mod reqwest {
    /// A GET from a plain thread (this test is not async).
    pub fn blocking_get(url: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { ::reqwest::get(url).await.unwrap().text().await.unwrap() })
    }
}
