//! [`GithubApi`]: a local server speaking the parts of GitHub's REST API that tocsin's tickets
//! use — `POST /repos/{owner}/{repo}/issues`, `GET` and `PATCH /repos/{owner}/{repo}/issues/{n}`
//! — with `Authorization: Bearer <token>` checked as GitHub does (401 `Bad credentials`). It
//! records every call, and a test closes an issue with [`GithubApi::close`], which gives the
//! `issues` webhook body GitHub would send.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// One call the server received.
#[derive(Debug, Clone)]
pub struct ApiCall {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    /// The body parsed as JSON (`Value::Null` when it is not JSON).
    pub body: Value,
    pub answered: u16,
}

impl ApiCall {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// An issue as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub number: i64,
    /// `owner/name`.
    pub repo: String,
    pub title: String,
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
}

#[derive(Debug, Default)]
struct Books {
    calls: Vec<ApiCall>,
    issues: Vec<Issue>,
    /// Answer the next requests with these statuses (a GitHub outage), one each.
    failures: Vec<u16>,
}

/// A stand-in for `https://api.github.com` on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct GithubApi {
    /// `http://127.0.0.1:<port>`: the `api_url` to configure.
    pub url: String,
    token: String,
    books: Arc<Mutex<Books>>,
    arrived: Arc<Notify>,
}

impl GithubApi {
    /// Serves on a free port, accepting `token` only.
    pub async fn start(token: &str) -> GithubApi {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the GitHub API double");
        let api = GithubApi {
            url: format!("http://{}", listener.local_addr().expect("its address")),
            token: token.to_owned(),
            books: Arc::default(),
            arrived: Arc::default(),
        };
        let app = Router::new()
            .route("/repos/{owner}/{repo}/issues", post(create))
            .route(
                "/repos/{owner}/{repo}/issues/{number}",
                get(read).patch(edit),
            )
            .fallback(unknown)
            .with_state(api.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        api
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<ApiCall> {
        self.lock().calls.clone()
    }

    /// The issues opened so far, by number.
    pub fn issues(&self) -> Vec<Issue> {
        self.lock().issues.clone()
    }

    /// The next `count` requests are answered `status` (and open nothing).
    pub fn fail_next(&self, count: usize, status: u16) {
        self.lock()
            .failures
            .extend(std::iter::repeat_n(status, count));
    }

    /// The issue's page, as `html_url` gives it.
    pub fn html_url(&self, repo: &str, number: i64) -> String {
        format!("{}/{repo}/issues/{number}", self.url)
    }

    /// Closes issue `number` as `login` would on github.com, and returns the `issues` webhook
    /// body GitHub then sends (`action: closed`).
    pub fn close(&self, number: i64, login: &str) -> Value {
        self.set_state(number, "closed", login)
    }

    /// Reopens it; the `issues` webhook body (`action: reopened`).
    pub fn reopen(&self, number: i64, login: &str) -> Value {
        self.set_state(number, "reopened", login)
    }

    fn set_state(&self, number: i64, action: &str, login: &str) -> Value {
        let issue = {
            let mut books = self.lock();
            let issue = books
                .issues
                .iter_mut()
                .find(|issue| issue.number == number)
                .unwrap_or_else(|| panic!("no issue #{number} was opened"));
            issue.state = if action == "closed" { "closed" } else { "open" }.to_owned();
            issue.clone()
        };
        json!({
            "action": action,
            "issue": self.issue_json(&issue),
            "repository": { "full_name": issue.repo, "name": issue.repo.split('/').nth(1) },
            "sender": { "login": login },
        })
    }

    /// Waits (on arrivals) until `done` holds for the calls received; panics after `limit`.
    pub async fn wait_until(&self, limit: Duration, done: impl Fn(&[ApiCall]) -> bool) {
        let waited = tokio::time::timeout(limit, async {
            loop {
                let arrived = self.arrived.notified();
                if done(&self.lock().calls) {
                    return;
                }
                arrived.await;
            }
        })
        .await;
        if waited.is_err() {
            panic!(
                "the GitHub API double did not receive what was expected within {limit:?}: {:#?}",
                self.calls()
            );
        }
    }

    fn issue_json(&self, issue: &Issue) -> Value {
        json!({
            "id": 1_000_000 + issue.number,
            "number": issue.number,
            "title": issue.title,
            "body": issue.body,
            "state": issue.state,
            "html_url": self.html_url(&issue.repo, issue.number),
            "url": format!("{}/repos/{}/issues/{}", self.url, issue.repo, issue.number),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Books> {
        self.books
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a call and its answer, and wakes waiters.
    fn record(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Value, answered: u16) {
        self.lock().calls.push(ApiCall {
            method: method.to_string(),
            path: uri.path().to_owned(),
            headers: headers.clone(),
            body: body.clone(),
            answered,
        });
        self.arrived.notify_waiters();
    }

    /// GitHub's checks before any route: an injected failure, then the bearer token.
    fn refuse(&self, headers: &HeaderMap) -> Option<(StatusCode, Value)> {
        let failure = {
            let mut books = self.lock();
            (!books.failures.is_empty()).then(|| books.failures.remove(0))
        };
        if let Some(status) = failure {
            return Some((
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                json!({ "message": "Server Error" }),
            ));
        }
        let sent = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        (sent != Some(self.token.as_str())).then(|| {
            (
                StatusCode::UNAUTHORIZED,
                json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401" }),
            )
        })
    }
}

fn answer(
    api: &GithubApi,
    method: Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Value,
    status: StatusCode,
    answer: Value,
) -> Response {
    api.record(&method, uri, headers, body, status.as_u16());
    (status, Json(answer)).into_response()
}

async fn create(
    State(api): State<GithubApi>,
    Path((owner, repo)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some((status, refusal)) = api.refuse(&headers) {
        return answer(&api, method, &uri, &headers, &body, status, refusal);
    }
    let Some(title) = body
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return answer(
            &api,
            method,
            &uri,
            &headers,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "message": "Validation Failed", "errors": [{ "resource": "Issue", "field": "title", "code": "missing_field" }] }),
        );
    };
    let issue = {
        let mut books = api.lock();
        let issue = Issue {
            number: i64::try_from(books.issues.len()).unwrap_or(i64::MAX) + 1,
            repo: format!("{owner}/{repo}"),
            title: title.to_owned(),
            body: body
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            state: "open".to_owned(),
        };
        books.issues.push(issue.clone());
        issue
    };
    let json = api.issue_json(&issue);
    answer(
        &api,
        method,
        &uri,
        &headers,
        &body,
        StatusCode::CREATED,
        json,
    )
}

async fn read(
    State(api): State<GithubApi>,
    Path((owner, repo, number)): Path<(String, String, i64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some((status, refusal)) = api.refuse(&headers) {
        return answer(&api, method, &uri, &headers, &Value::Null, status, refusal);
    }
    let repo = format!("{owner}/{repo}");
    let found = api
        .issues()
        .into_iter()
        .find(|issue| issue.number == number && issue.repo == repo);
    match found {
        Some(issue) => {
            let json = api.issue_json(&issue);
            answer(
                &api,
                method,
                &uri,
                &headers,
                &Value::Null,
                StatusCode::OK,
                json,
            )
        }
        None => answer(
            &api,
            method,
            &uri,
            &headers,
            &Value::Null,
            StatusCode::NOT_FOUND,
            json!({ "message": "Not Found" }),
        ),
    }
}

/// `PATCH` with `{"state": "closed" | "open"}`, as a person's client would close an issue.
async fn edit(
    State(api): State<GithubApi>,
    Path((_owner, _repo, number)): Path<(String, String, i64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some((status, refusal)) = api.refuse(&headers) {
        return answer(&api, method, &uri, &headers, &body, status, refusal);
    }
    let known = api.issues().iter().any(|issue| issue.number == number);
    if !known {
        return answer(
            &api,
            method,
            &uri,
            &headers,
            &body,
            StatusCode::NOT_FOUND,
            json!({ "message": "Not Found" }),
        );
    }
    match body.get("state").and_then(Value::as_str) {
        Some("closed") => {
            api.close(number, "api");
        }
        Some("open") => {
            api.reopen(number, "api");
        }
        _ => {}
    }
    let issue = api
        .issues()
        .into_iter()
        .find(|issue| issue.number == number);
    let json = issue
        .map(|issue| api.issue_json(&issue))
        .unwrap_or(Value::Null);
    answer(&api, method, &uri, &headers, &body, StatusCode::OK, json)
}

async fn unknown(
    State(api): State<GithubApi>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    answer(
        &api,
        method,
        &uri,
        &headers,
        &Value::Null,
        StatusCode::NOT_FOUND,
        json!({ "message": "Not Found" }),
    )
}
