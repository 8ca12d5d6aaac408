//! Listing a whole collection (user groups, roles) through Coupa's REST API.
//!
//! Coupa answers at most 50 rows a page, with no total and no next link. The list is over when a
//! page comes back short or empty. So a tenant with 10,000 groups takes 200 requests, and two
//! things bound how fast they can go: latency per page (about 150 ms) and Coupa's rate limit
//! (25 requests/s, burst 20).
//!
//! **Why offset pages, several at a time.** Keyset paging (`id[gt]=<last id>`) is the textbook
//! choice over changing data, but each page needs the previous page's last id, so pages go one
//! after the other: 200 × 150 ms = 30 s, with the rate limit nowhere near reached. Offset pages
//! (`offset=0, 50, 100…`) are known in advance, so [`Tenant::user_groups`] keeps up to
//! `Tuning::page_concurrency` in flight and lets the shared [`RateLimiter`] pace them just under
//! Coupa's limit: the burst at once, then the rest at 24.75 per s, about 7.5 s for 200 pages with
//! no 429s (`make bench` measures it against its bound, in docs/dev/performance.md). The price is
//! offset paging's known flaw: rows created or deleted while we list shift the pages, so a row
//! can come twice (we deduplicate by id) or, rarely, be missed until the next refresh. For a
//! Terraform data source that is read again on every plan, that trade is right.
//! [`Tenant::user_groups_sequential_keyset`] stays as the baseline that benchmarks compare with.
//!
//! [`RateLimiter`]: super::limiter::RateLimiter

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio::task::JoinSet;
use url::Url;

use super::client::Tenant;
use super::domain::endpoint;
use super::error::CoupaError;
use super::limiter::Permit;
use super::model::{decode_page, Record, Row};

/// Coupa's maximum (and default) page size.
pub(crate) const PAGE_SIZE: usize = 50;
const PAGE_U64: u64 = PAGE_SIZE as u64;

/// Slow start: pages released for each page that comes back full. A list that fits in one page
/// still costs one request; one of 51 to 99 rows costs five (the second page and three empty
/// ones) where two more per full page would cost three, in exchange for reaching full speed one
/// round trip sooner on a large tenant.
pub(crate) const PAGES_PER_FULL_PAGE: u64 = 4;

/// Which page to ask for.
#[derive(Clone, Copy, Debug)]
enum PageAt {
    Offset(u64),
    /// Keyset: rows with an id above this one (`None`: from the start).
    After(Option<u64>),
}

/// `GET {base}/api/{collection}?limit=50&…&order_by=id&dir=asc&fields=[…]`.
///
/// The order is spelled out although it is Coupa's default, because offsets are only meaningful
/// over a fixed order.
fn page_url<T: Record>(base: &Url, at: PageAt) -> Url {
    let mut url = endpoint(base, &["api", T::PATH]);
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("limit", &PAGE_SIZE.to_string());
        match at {
            PageAt::Offset(offset) => {
                q.append_pair("offset", &offset.to_string());
            }
            PageAt::After(Some(id)) => {
                q.append_pair("id[gt]", &id.to_string());
            }
            PageAt::After(None) => {}
        }
        for (key, value) in T::FILTERS {
            q.append_pair(key, value);
        }
        q.append_pair("order_by", "id")
            .append_pair("dir", "asc")
            .append_pair("fields", T::FIELDS);
    }
    url
}

async fn fetch_page<T: Record>(
    tenant: &Tenant,
    at: PageAt,
    permit: Permit,
) -> Result<Vec<T>, CoupaError> {
    let url = page_url::<T>(tenant.base_url(), at);
    let (json, request_id) = tenant
        .get_json(url, T::WHAT, T::SCOPE, permit, page_is_usable::<T>)
        .await?;
    decode_page(json).map_err(|e| match e {
        CoupaError::Decode { what, reason, .. } => CoupaError::Decode {
            what,
            reason,
            request_id,
        },
        other => other,
    })
}

/// Whether a 2xx body is a page of `T` (the HTTP layer asks once more for one that is not).
fn page_is_usable<T: Record>(body: &[u8]) -> bool {
    serde_json::from_slice(body)
        .ok()
        .is_some_and(|json| decode_page::<T>(json).is_ok())
}

/// What a worker may do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Fetch the page at this offset.
    Page(u64),
    /// Not yet: wait until a page in flight comes back.
    Wait,
    /// The end of the list is known.
    Done,
}

impl Claim {
    #[cfg(test)]
    pub(crate) fn page(self) -> Option<u64> {
        match self {
            Claim::Page(o) => Some(o),
            _ => None,
        }
    }
}

/// The bookkeeping of an offset listing, kept free of I/O so its edge cases are unit-tested:
/// which offset to ask for next, when to stop asking, and the rows so far.
///
/// Pages are released like TCP's slow start: one page first, then [`PAGES_PER_FULL_PAGE`] more
/// for each page that comes back full. Most tenants have a few hundred groups and roles at most,
/// and asking eight pages at once for a list that fits in one would waste seven requests of
/// Coupa's rate budget; a large tenant has its first page back full after one round trip and
/// then reaches full concurrency within the next one (1, 4, then 8 in flight), fast enough that
/// the limiter's burst is spent on pages rather than lost while its bucket sits full.
#[derive(Debug)]
pub(crate) struct OffsetPager<T> {
    next: u64,
    /// Pages that came back full so far.
    full_pages: u64,
    /// Offset of the first page that came back short: nothing is asked for after it is known.
    end: Option<u64>,
    /// Offsets whose page has been recorded, so the listing can end before pages in flight past
    /// the end come back.
    recorded: BTreeSet<u64>,
    /// Keyed by id, which sorts and deduplicates. For a row seen twice the copy that arrived last
    /// wins; both were true at some moment.
    rows: BTreeMap<u64, T>,
}

impl<T: Record> OffsetPager<T> {
    pub(crate) fn new() -> Self {
        OffsetPager {
            next: 0,
            full_pages: 0,
            end: None,
            recorded: BTreeSet::new(),
            rows: BTreeMap::new(),
        }
    }

    /// The next offset to fetch, [`Claim::Wait`] while the slow-start window is used up, or
    /// [`Claim::Done`] once a short page has shown where the list ends. Pages already in flight
    /// past the end are harmless: they come back empty.
    pub(crate) fn claim(&mut self) -> Claim {
        let next = self.peek();
        if let Claim::Page(_) = next {
            self.next = self.next.saturating_add(PAGE_U64);
        }
        next
    }

    /// What [`claim`](Self::claim) would answer, without claiming.
    pub(crate) fn peek(&self) -> Claim {
        if self.end.is_some() {
            Claim::Done
        } else if self.next / PAGE_U64 > self.full_pages.saturating_mul(PAGES_PER_FULL_PAGE) {
            Claim::Wait
        } else {
            Claim::Page(self.next)
        }
    }

    #[cfg(test)]
    pub(crate) fn is_done(&self) -> bool {
        self.end.is_some()
    }

    /// Whether every page up to the end has been recorded: the listing is whole, and pages still
    /// in flight past the end can only come back empty.
    pub(crate) fn is_complete(&self) -> bool {
        self.end
            .is_some_and(|end| self.recorded.range(..end).count() as u64 == end / PAGE_SIZE as u64)
    }

    /// Take in the page fetched at `offset`, in whatever order pages arrive.
    ///
    /// A full page that brings no row we have not seen means the server ignores `offset` (a proxy,
    /// a broken stand-in), and going on would loop forever, so that is an error.
    pub(crate) fn record(&mut self, offset: u64, page: Vec<T>) -> Result<(), CoupaError> {
        let full = page.len() >= PAGE_SIZE;
        self.recorded.insert(offset);
        if full {
            self.full_pages = self.full_pages.saturating_add(1);
        } else {
            self.end = Some(self.end.map_or(offset, |e| e.min(offset)));
        }
        let mut new_rows = 0;
        for row in page {
            if self.rows.insert(row.id(), row).is_none() {
                new_rows += 1;
            }
        }
        if full && offset > 0 && new_rows == 0 {
            return Err(CoupaError::Decode {
                what: T::WHAT,
                reason: format!(
                    "the page at offset {offset} repeats rows already listed; the server seems to ignore the `offset` parameter"
                ),
                request_id: None,
            });
        }
        Ok(())
    }

    /// All rows that belong in the listing ([`Record::listed`]), sorted by id, each id once.
    pub(crate) fn finish(self) -> Vec<T> {
        self.rows.into_values().filter(Record::listed).collect()
    }
}

/// Every row of `T`'s collection: offset pages, several in flight, paced by the shared limiter.
pub(crate) async fn list_offset<T: Record>(tenant: &Tenant) -> Result<Vec<T>, CoupaError> {
    // Mint first: a credentials problem then shows as one clear error, not one per worker.
    tenant.token(&[T::SCOPE]).await?;
    let pager = Arc::new(Mutex::new(OffsetPager::<T>::new()));
    let progress = Arc::new(Notify::new());
    let mut workers = JoinSet::new();
    for _ in 0..tenant.tuning().page_concurrency.max(1) {
        workers.spawn(offset_worker(
            tenant.clone(),
            pager.clone(),
            progress.clone(),
        ));
    }
    // The first error returns at once, and so does a whole listing; dropping `workers` aborts
    // the pages still in flight (past the end, they would add a round trip and no row).
    while let Some(joined) = workers.join_next().await {
        joined.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        if pager
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_complete()
        {
            break;
        }
    }
    workers.abort_all();
    while workers.join_next().await.is_some() {} // the aborted ones, so `pager` is ours alone
    let mut pager = pager.lock().unwrap_or_else(|p| p.into_inner());
    Ok(std::mem::replace(&mut *pager, OffsetPager::new()).finish())
}

/// Fetch pages until the end is known. A permit is taken *before* an offset is claimed, so an
/// offset is only claimed when its request can go out at once; a worker that waited for a permit
/// only to learn that it must wait, or that the list has ended, gives the permit back.
async fn offset_worker<T: Record>(
    tenant: Tenant,
    pager: Arc<Mutex<OffsetPager<T>>>,
    progress: Arc<Notify>,
) -> Result<(), CoupaError> {
    let lock = || pager.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        // Register for the next page's arrival before looking, so a wake-up cannot be missed.
        let arrived = progress.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        let next = lock().peek(); // the guard must not live across an await
        match next {
            Claim::Done => return Ok(()),
            Claim::Wait => {
                arrived.await;
                continue;
            }
            Claim::Page(_) => {}
        }
        let permit = tenant.limiter().acquire().await;
        let claimed = lock().claim();
        let offset = match claimed {
            Claim::Page(offset) => offset,
            Claim::Wait | Claim::Done => {
                tenant.limiter().refund(permit);
                continue;
            }
        };
        let page = fetch_page::<T>(&tenant, PageAt::Offset(offset), permit).await;
        let recorded = page.and_then(|p| lock().record(offset, p));
        progress.notify_waiters();
        recorded?;
    }
}

/// Every row of `T`'s collection, one keyset page after the other (`id[gt]=<last id>`). Immune to
/// rows shifting, but slow: see the module doc.
pub(crate) async fn list_keyset<T: Record>(tenant: &Tenant) -> Result<Vec<T>, CoupaError> {
    let mut rows = BTreeMap::new();
    let mut after = None;
    loop {
        let permit = tenant.limiter().acquire().await;
        let page = fetch_page::<T>(tenant, PageAt::After(after), permit).await?;
        let full = page.len() >= PAGE_SIZE;
        let last = page.iter().map(Row::id).max();
        rows.extend(page.into_iter().map(|r| (r.id(), r)));
        match last {
            Some(last) if full && after.is_none_or(|a| last > a) => after = Some(last),
            Some(_) if full => {
                return Err(CoupaError::Decode {
                    what: T::WHAT,
                    reason: "a page after id[gt] repeats ids already listed; the server seems to ignore the `id[gt]` filter".into(),
                    request_id: None,
                })
            }
            _ => return Ok(rows.into_values().filter(Record::listed).collect()),
        }
    }
}

#[cfg(test)]
mod tests;
