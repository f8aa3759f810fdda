//! The sample app's deploys, reported to the demo's own Railway hook in Railway's webhook shape —
//! the way a real host tells tocsin — so the SEV-1's checklist can say which deploy went out how
//! many minutes before, and the rollback action knows the deployment before it.

use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, bail};
use jiff::Timestamp;
use serde_json::json;

/// What a deploy carries: its commit message.
#[derive(Debug, Clone, Copy)]
pub struct Release {
    pub message: &'static str,
}

/// The version running when the demo starts.
pub const GOOD: Release = Release {
    message: "Show prices with VAT",
};

/// The deploy "Break the app" sends out.
pub const BAD: Release = Release {
    message: "Cache the pricing table at start-up",
};

/// Reports deploys of the sample app (service `api`, as its monitor's component) to the hook.
#[derive(Debug)]
pub struct Deployer {
    hook: String,
    http: reqwest::Client,
    /// The next deploy's version number.
    next: AtomicU32,
}

impl Deployer {
    pub fn new(public_url: &str, hook_token: &str) -> anyhow::Result<Deployer> {
        Ok(Deployer {
            hook: format!("{public_url}/hooks/railway?token={hook_token}"),
            http: reqwest::Client::builder().no_proxy().build()?,
            next: AtomicU32::new(42),
        })
    }

    /// Reports one successful deploy at `at`; answers its deployment id once tocsin recorded it.
    pub async fn deploy(&self, at: Timestamp, release: Release) -> anyhow::Result<String> {
        let version = self.next.fetch_add(1, Ordering::SeqCst);
        let id = format!("sample-app-v{version}");
        let commit: String = rand::random::<[u8; 20]>()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let body = json!({
            "type": "Deployment.deployed",
            "timestamp": at,
            "details": {
                "id": id,
                "source": "GitHub",
                "status": "SUCCESS",
                "branch": "main",
                "commitHash": commit,
                "commitAuthor": "sami",
                "commitMessage": format!("v{version}: {}", release.message),
            },
            "resource": {
                "project": { "name": "dealix" },
                "environment": { "name": "production", "isEphemeral": false },
                "service": { "name": "api" },
                "deployment": { "id": id },
            },
            "severity": "INFO",
        });
        let answer = self
            .http
            .post(&self.hook)
            .json(&body)
            .send()
            .await
            .context("cannot reach the demo's own Railway hook")?;
        if !answer.status().is_success() {
            bail!(
                "the Railway hook answered {}: {}",
                answer.status(),
                answer.text().await.unwrap_or_default()
            );
        }
        Ok(id)
    }
}
