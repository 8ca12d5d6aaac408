//! Page assembly (pure), then listing against a small fake Coupa.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::*;
use crate::coupa::model::{Role, UserGroup};
use crate::coupa::testserver::{http_client, Reply, Seen, TestServer};
use crate::coupa::{Coupa, CoupaDomain, TokenError, Tuning, SCOPE_GROUPS, SCOPE_ROLES};
use crate::secret::Secret;

fn group(id: u64) -> UserGroup {
    UserGroup {
        id,
        name: format!("g{id}"),
        description: None,
        active: true,
        created_at: None,
        updated_at: None,
        kind: String::new(),
    }
}

/// Drive the pager over a tenant of `total` rows (ids 1..=total), `in_flight` pages at a time,
/// recording each batch in reverse arrival order. Returns the ids listed and the offsets asked.
fn simulate(total: u64, in_flight: usize) -> (Vec<u64>, Vec<u64>) {
    let mut pager = OffsetPager::new();
    let mut asked = Vec::new();
    while !pager.is_done() {
        let batch: Vec<u64> = (0..in_flight).map_while(|_| pager.claim().page()).collect();
        asked.extend(&batch);
        for &offset in batch.iter().rev() {
            let rows = (offset + 1..=total.min(offset + PAGE_SIZE as u64))
                .map(group)
                .collect();
            pager.record(offset, rows).unwrap();
        }
    }
    let ids = pager.finish().iter().map(|g| g.id).collect();
    (ids, asked)
}

#[test]
fn pager_edge_cases() {
    let cases: [(u64, usize, &[u64]); 8] = [
        (0, 1, &[0]),                      // empty tenant: one empty page
        (3, 1, &[0]),                      // one short page
        (50, 1, &[0, 50]),                 // exactly one full page: the next one, empty, ends it
        (51, 1, &[0, 50]),                 // the second page has one row
        (100, 1, &[0, 50, 100]),           // two full pages, then an empty one
        (103, 1, &[0, 50, 100]),           // the last page is short
        (103, 4, &[0, 50, 100, 150, 200]), // slow start: page 0 alone, then four more
        (30, 8, &[0]),                     // a small list costs one request, not eight
    ];
    for (total, in_flight, want_asked) in cases {
        let (ids, asked) = simulate(total, in_flight);
        assert_eq!(ids, (1..=total).collect::<Vec<_>>(), "total {total}");
        assert_eq!(asked, want_asked, "total {total}, {in_flight} at a time");
    }
    // The window opens (1, 5, 21 pages, 8 at a time); past the end, < concurrency pages.
    let (ids, asked) = simulate(400, 8);
    let want = ((1..=400).collect(), (0..13).map(|p| p * 50).collect());
    assert_eq!((ids, asked), want);
}

#[test]
fn pager_sorts_and_deduplicates_pages_in_any_order() {
    let mut pager = OffsetPager::new();
    assert_eq!(pager.claim(), Claim::Page(0));
    assert_eq!(pager.claim(), Claim::Wait, "slow start: one page first");
    pager.full_pages = 1; // as if page 0 had come back full
    let offsets: Vec<u64> = (0..4).map(|_| pager.claim().page().unwrap()).collect();
    assert_eq!(offsets, [50, 100, 150, 200]);
    assert_eq!(pager.claim(), Claim::Wait, "four more per full page");
    // Page 100 (short) arrives first; page 50 repeats row 50, as after a deletion.
    pager
        .record(100, (101..=110).rev().map(group).collect())
        .unwrap();
    assert!(pager.is_done() && pager.claim() == Claim::Done);
    pager.record(50, (50..=99).map(group).collect()).unwrap();
    assert!(!pager.is_complete(), "page 0 is still missing");
    pager.record(0, (1..=50).map(group).collect()).unwrap();
    assert!(
        pager.is_complete(),
        "pages 150 and 200, past the end, are not needed"
    );
    let ids: Vec<u64> = pager.finish().iter().map(|g| g.id).collect();
    assert_eq!(ids, (1..=99).chain(101..=110).collect::<Vec<_>>());
}

#[test]
fn the_end_is_the_earliest_short_page() {
    let mut pager = OffsetPager::<UserGroup>::new();
    pager.record(150, vec![]).unwrap();
    pager.record(100, (101..=120).map(group).collect()).unwrap();
    assert_eq!(pager.end, Some(100));
    assert!(!pager.is_complete(), "pages 0 and 50 are missing");
}

#[test]
fn a_server_that_ignores_offset_is_an_error_not_a_loop() {
    let mut pager = OffsetPager::new();
    pager.record(0, (1..=50).map(group).collect()).unwrap();
    let err = pager.record(50, (1..=50).map(group).collect()).unwrap_err();
    assert!(
        err.to_string().contains("ignore the `offset` parameter"),
        "{err}"
    );
}

#[test]
fn page_urls() {
    let base = Url::parse("http://127.0.0.1:9/coupa").unwrap();
    let url = page_url::<UserGroup>(&base, PageAt::Offset(100));
    assert_eq!(url.path(), "/coupa/api/user_groups");
    let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        q,
        [
            ("limit", "50"),
            ("offset", "100"),
            ("type[blank]", "true"),
            ("order_by", "id"),
            ("dir", "asc"),
            (
                "fields",
                r#"["id","name","description","active","created-at","updated-at","type"]"#
            ),
        ]
    );
    let url = page_url::<Role>(&base, PageAt::After(Some(7)));
    assert!(url.as_str().contains("id%5Bgt%5D=7"), "{url}");
    assert!(!url.as_str().contains("offset"), "{url}");
    assert!(
        !url.as_str().contains("type"),
        "roles have no type filter: {url}"
    );
}

// ---- against a fake Coupa -------------------------------------------------------------------

/// How the fake answers API calls.
#[derive(Clone, Copy, Default)]
struct Fake {
    latency: Duration,
    /// Answer 401 to tokens minted fewer than this many times (`tok-1` … ).
    reject_tokens_below: usize,
    /// Answer 401 to tokens younger than this.
    token_warmup: Duration,
    /// Enforce Coupa's 25/s, burst 20 with 429s.
    rate_limit: bool,
    /// Answer every API call with this status and a small body.
    status: Option<u16>,
}

struct FakeState {
    rows: Vec<Value>,
    minted: Mutex<Vec<Instant>>,
    bucket: Mutex<(f64, Instant)>,
    too_many: AtomicUsize,
}

fn seed_groups(n: u64) -> Vec<Value> {
    // Ids are not contiguous and arrive unsorted, as in a real tenant.
    let mut rows: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": 1000 + 7 * i, "name": format!("group {i}"), "description": null,
                        "active": i % 3 != 0, "created-at": "2024-01-02T03:04:05+00:00",
                        "users": [{"id": 1}]})
        })
        .collect();
    rows.reverse();
    rows
}

fn fake_coupa(
    rows: Vec<Value>,
    fake: Fake,
) -> (
    impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    Arc<FakeState>,
) {
    let state = Arc::new(FakeState {
        rows,
        minted: Mutex::new(Vec::new()),
        bucket: Mutex::new((20.0, Instant::now())),
        too_many: AtomicUsize::new(0),
    });
    let st = state.clone();
    let handler = move |req: &Seen| {
        if fake.rate_limit {
            let mut b = st.bucket.lock().unwrap();
            let now = Instant::now();
            b.0 = (b.0 + now.duration_since(b.1).as_secs_f64() * 25.0).min(20.0);
            b.1 = now;
            if b.0 < 1.0 {
                st.too_many.fetch_add(1, Ordering::SeqCst);
                return Reply::json(429, json!({})).with_header("retry-after", "1");
            }
            b.0 -= 1.0;
        }
        if req.path == "/oauth2/token" {
            let mut minted = st.minted.lock().unwrap();
            minted.push(Instant::now());
            return Reply::token(&format!("tok-{}", minted.len()), 86399);
        }
        let n: usize = match req
            .bearer()
            .and_then(|t| t.strip_prefix("tok-"))
            .and_then(|n| n.parse().ok())
        {
            Some(n) => n,
            None => return Reply::json(401, json!({})),
        };
        let minted_at = st.minted.lock().unwrap()[n - 1];
        if n < fake.reject_tokens_below || minted_at.elapsed() < fake.token_warmup {
            return Reply::json(401, json!({})).with_header("x-request-id", "req-401");
        }
        if let Some(status) = fake.status {
            return Reply::json(status, json!({"errors": ["no"]}))
                .with_header("x-request-id", "req-x");
        }
        if req.header("accept") != Some("application/json") {
            return Reply::text(
                200,
                "application/xml",
                "<?xml version=\"1.0\"?><user-groups type=\"array\"/>",
            );
        }
        let num = |k: &str| req.param(k).and_then(|v| v.parse::<u64>().ok());
        let limit = num("limit").unwrap_or(50).clamp(1, 50) as usize;
        let offset = num("offset").unwrap_or(0) as usize;
        let after = num("id[gt]").unwrap_or(0);
        // Seeded ids may be numbers or numeric strings, as Coupa's may.
        let id = |r: &Value| {
            r["id"]
                .as_u64()
                .or_else(|| r["id"].as_str()?.parse().ok())
                .unwrap()
        };
        let mut rows: Vec<&Value> = st.rows.iter().filter(|r| id(r) > after).collect();
        rows.sort_by_key(|r| id(r));
        let page: Vec<&Value> = rows.into_iter().skip(offset).take(limit).collect();
        Reply::json(200, json!(page)).after(fake.latency)
    };
    (handler, state)
}

async fn tenant_for(server: &TestServer, tuning: Tuning) -> Tenant {
    let coupa = Coupa::with_tuning(http_client(), Some(server.base.clone()), tuning);
    let domain = CoupaDomain::parse("acme.coupahost.com").unwrap();
    coupa.tenant(&domain, "id", &Secret::new("secret-value"))
}

fn fast() -> Tuning {
    Tuning {
        requests_per_sec: 1000.0,
        burst: 100,
        page_concurrency: 8,
        fresh_token_grace: Duration::ZERO,
    }
}

fn page_requests(server: &TestServer, path: &str) -> Vec<Seen> {
    server
        .seen()
        .into_iter()
        .filter(|s| s.path == path)
        .collect()
}

#[tokio::test]
async fn concurrent_pages_list_exactly_the_seeded_rows_in_order() {
    let (handler, _) = fake_coupa(
        seed_groups(123),
        Fake {
            latency: Duration::from_millis(20),
            ..Fake::default()
        },
    );
    let server = TestServer::start(handler).await;
    let tenant = tenant_for(&server, fast()).await;
    let groups = tenant.user_groups().await.unwrap();
    let want: Vec<u64> = (0..123).map(|i| 1000 + 7 * i).collect();
    assert_eq!(groups.iter().map(|g| g.id).collect::<Vec<_>>(), want);
    assert_eq!(groups[0].name, "group 0");
    assert!(!groups[0].active && groups[1].active);
    assert_eq!(
        groups[0].created_at.as_deref(),
        Some("2024-01-02T03:04:05+00:00")
    );
    let pages = page_requests(&server, "/api/user_groups");
    assert!(
        pages.len() >= 3 && pages.len() <= 3 + 8,
        "{} pages",
        pages.len()
    );
    for p in &pages {
        assert_eq!(p.header("accept"), Some("application/json"));
        assert_eq!(p.param("limit"), Some("50"));
        assert_eq!(p.param("fields"), Some(UserGroup::FIELDS));
        assert!(p.param("offset").is_some());
    }
    assert_eq!(tenant.token_requests(), 1);
    let minted = server
        .seen()
        .iter()
        .find(|s| s.path == "/oauth2/token")
        .unwrap()
        .form();
    assert!(
        minted.contains(&("scope".into(), SCOPE_GROUPS.into())),
        "groups need only their scope"
    );
}

#[tokio::test]
async fn keyset_lists_the_same_one_page_at_a_time() {
    let (handler, _) = fake_coupa(seed_groups(100), Fake::default());
    let server = TestServer::start(handler).await;
    let tenant = tenant_for(&server, fast()).await;
    let keyset = tenant.user_groups_sequential_keyset().await.unwrap();
    let offset = tenant.user_groups().await.unwrap();
    assert_eq!(keyset, offset);
    assert_eq!(keyset.len(), 100);
    let pages = page_requests(&server, "/api/user_groups");
    let keyset_pages: Vec<Option<&str>> = pages
        .iter()
        .filter(|p| p.param("offset").is_none())
        .map(|p| p.param("id[gt]"))
        .collect();
    assert_eq!(keyset_pages, [None, Some("1343"), Some("1693")]);
}

#[tokio::test]
async fn roles_list_with_their_own_fields_and_scope() {
    let roles = vec![
        json!({"id": 4, "name": "Buyer", "omnipotent": false, "system-role": true}),
        json!({"id": "2", "name": "Admin", "description": "Full access", "omnipotent": true, "system-role": true}),
        json!({"id": 10103, "name": "Split Accounting", "system-role": false, "created-at": "x"}),
    ];
    let (handler, _) = fake_coupa(roles, Fake::default());
    let server = TestServer::start(handler).await;
    let tenant = tenant_for(&server, fast()).await;
    let got = tenant.roles().await.unwrap();
    assert_eq!(got.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 4, 10103]);
    assert!(got[0].omnipotent && got[0].system_role);
    let page = &page_requests(&server, "/api/roles")[0];
    assert_eq!(page.param("fields"), Some(Role::FIELDS));
    let minted = server
        .seen()
        .iter()
        .find(|s| s.path == "/oauth2/token")
        .unwrap()
        .form();
    assert!(minted.contains(&("scope".into(), SCOPE_ROLES.into())));
}

#[tokio::test]
async fn a_401_mints_a_new_token_once() {
    let (handler, _) = fake_coupa(
        seed_groups(10),
        Fake {
            reject_tokens_below: 2,
            ..Fake::default()
        },
    );
    let server = TestServer::start(handler).await;
    let tenant = tenant_for(&server, fast()).await;
    assert_eq!(tenant.user_groups().await.unwrap().len(), 10);
    assert_eq!(tenant.token_requests(), 2);
}

#[tokio::test]
async fn a_second_401_is_unauthorized() {
    let (handler, _) = fake_coupa(
        seed_groups(10),
        Fake {
            reject_tokens_below: 1000,
            ..Fake::default()
        },
    );
    let server = TestServer::start(handler).await;
    let tenant = tenant_for(&server, fast()).await;
    let err = tenant.user_groups().await.unwrap_err();
    assert!(
        matches!(
            &err,
            CoupaError::Unauthorized {
                request_id: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        tenant.token_requests(),
        2,
        "one new token, not one per retry"
    );
}

#[tokio::test]
async fn a_401_on_a_fresh_token_waits_instead_of_minting() {
    let fake = Fake {
        token_warmup: Duration::from_millis(200),
        ..Fake::default()
    };
    let (handler, _) = fake_coupa(seed_groups(10), fake);
    let server = TestServer::start(handler).await;
    let tuning = Tuning {
        fresh_token_grace: Duration::from_millis(300),
        ..fast()
    };
    let tenant = tenant_for(&server, tuning).await;
    assert_eq!(tenant.user_groups().await.unwrap().len(), 10);
    assert_eq!(
        tenant.token_requests(),
        1,
        "a new token would only restart the clock"
    );
}

#[tokio::test]
async fn api_errors_are_typed() {
    type Expect = fn(&CoupaError) -> bool;
    let cases: [(u16, Expect); 4] = [
        (403, |e| {
            matches!(
                e,
                CoupaError::MissingScope {
                    scope: SCOPE_GROUPS,
                    request_id: Some(_),
                    ..
                }
            )
        }),
        (429, |e| matches!(e, CoupaError::RateLimited { .. })),
        (503, |e| matches!(e, CoupaError::Server { status: 503, .. })),
        (404, |e| {
            matches!(e, CoupaError::Unexpected { status: 404, .. })
        }),
    ];
    for (status, expected) in cases {
        let (handler, _) = fake_coupa(
            seed_groups(1),
            Fake {
                status: Some(status),
                ..Fake::default()
            },
        );
        let server = TestServer::start(handler).await;
        let tenant = tenant_for(
            &server,
            Tuning {
                page_concurrency: 1,
                ..fast()
            },
        )
        .await;
        let err = tenant.user_groups().await.unwrap_err();
        assert!(expected(&err), "{status}: {err:?}");
    }
    let (handler, _) = fake_coupa(
        vec![],
        Fake {
            status: Some(403),
            ..Fake::default()
        },
    );
    let server = TestServer::start(handler).await;
    let err = tenant_for(&server, fast()).await.roles().await.unwrap_err();
    assert!(err.to_string().contains("`core.common.read`"), "{err}");
}

#[tokio::test]
async fn xml_answers_are_not_json() {
    let server = TestServer::start(|req: &Seen| {
        if req.path == "/oauth2/token" {
            Reply::token("tok", 86399)
        } else {
            Reply::text(
                200,
                "application/xml",
                "<?xml version=\"1.0\"?>\n<user-groups type=\"array\"/>",
            )
        }
    })
    .await;
    let err = tenant_for(&server, fast())
        .await
        .user_groups()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoupaError::NotJson { status: 200, snippet, .. } if snippet.starts_with("<?xml")),
        "{err:?}"
    );
}

#[tokio::test]
async fn token_failures_surface_before_any_page() {
    let server = TestServer::start(|_| Reply::json(401, json!({"error": "invalid_client"}))).await;
    let err = tenant_for(&server, fast())
        .await
        .user_groups()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoupaError::Token(TokenError::InvalidClient { .. })),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 1);
}

/// Both pagers list the same rows; how much faster the concurrent one is belongs to the
/// benchmark (`make bench`), not to a timed test.
#[tokio::test]
async fn offset_and_keyset_pagers_list_the_same_rows() {
    let (handler, _) = fake_coupa(
        seed_groups(500),
        Fake {
            latency: Duration::from_millis(5),
            ..Fake::default()
        },
    );
    let server = TestServer::start(handler).await;
    let tenant = tenant_for(&server, fast()).await;
    let a = tenant.user_groups_sequential_keyset().await.unwrap();
    let pages = |server: &TestServer| {
        server
            .seen()
            .iter()
            .filter(|r| r.path == "/api/user_groups")
            .count()
    };
    assert_eq!(
        pages(&server),
        11,
        "500 rows: 10 full pages and an empty one"
    );
    let b = tenant.user_groups().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 500);
    let offset_pages = pages(&server) - 11;
    assert!(
        (11..=11 + 7).contains(&offset_pages),
        "at most concurrency-1 pages past the end: {offset_pages}"
    );
}

#[tokio::test]
async fn default_pacing_never_trips_coupas_rate_limit() {
    let fake = Fake {
        latency: Duration::from_millis(30),
        rate_limit: true,
        ..Fake::default()
    };
    let (handler, state) = fake_coupa(seed_groups(2000), fake);
    let server = TestServer::start(handler).await;
    let tenant = tenant_for(&server, Tuning::default()).await;
    let started = Instant::now();
    assert_eq!(tenant.user_groups().await.unwrap().len(), 2000);
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(state.too_many.load(Ordering::SeqCst), 0, "no 429s");
    // 41 pages and a token: (42 - 18 burst) / 24.75 per s ≈ 1 s.
    assert!(elapsed < 2.0, "{elapsed} s");
}

/// A server that ignores `type[blank]=true` still gets no project into the groups listing, and
/// the pages it fills with projects still count as full (paging goes on past them).
#[test]
fn projects_that_come_anyway_are_dropped() {
    let mut pager = OffsetPager::new();
    assert_eq!(pager.claim(), Claim::Page(0));
    assert_eq!(pager.claim(), Claim::Wait);
    let page: Vec<UserGroup> = (1..=50)
        .map(|id| UserGroup {
            kind: if id % 2 == 0 {
                "Project".into()
            } else {
                String::new()
            },
            ..group(id)
        })
        .collect();
    pager.record(0, page).unwrap();
    assert_eq!(
        pager.claim(),
        Claim::Page(50),
        "the full page opened the window"
    );
    pager.record(50, vec![group(51)]).unwrap();
    let ids: Vec<u64> = pager.finish().iter().map(|g| g.id).collect();
    assert_eq!(ids.len(), 26);
    assert!(ids.iter().all(|id| id % 2 == 1), "{ids:?}");
}
