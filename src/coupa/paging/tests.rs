//! Page assembly (pure); listing against the Coupa stand-in in `on_the_wire`.

use super::*;
use crate::coupa::groups::UserGroup;
use crate::coupa::users::User;

mod on_the_wire;

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
    let url = page_url::<User>(&base, PageAt::After(Some(7)));
    assert!(url.as_str().contains("id%5Bgt%5D=7"), "{url}");
    assert!(!url.as_str().contains("offset"), "{url}");
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
