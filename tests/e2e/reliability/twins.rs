//! Two applies of one configuration from two state files at once (two Terraform processes,
//! two plugin processes: no lock in common), against one stand-in: the second is told of the
//! first's connector, by its refresh (a warning naming both) or by its create (refused naming
//! the first).

use serde_json::json;
use testkit::COUPA_VARIABLES;

use super::*;

#[tokio::test]
async fn two_applies_of_one_configuration_at_once_are_told_of_the_twin() {
    let Some(rig) = rig(false) else { return };
    let standin = &rig.standin;
    let app = standin.c1("app_id");
    let main = format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com")
    );
    let (one, two) = (&rig.wd, rig.another_workdir());
    one.write_main(&main);
    two.write_main(&main);
    // The checks before the create answered late (each listing made on arrival, its answer
    // held 3 s), so that both are under way before either create goes out.
    standin
        .c1_fault(
            json!({"method": "GET", "path_prefix": format!("/api/v1/apps/{app}/connectors"),
                         "kind": "slow", "delay_ms": 3000, "after_handler": true, "count": 2}),
        )
        .await;
    let (first, second) = std::thread::scope(|s| {
        let a = s.spawn(|| one.apply());
        let b = s.spawn(|| two.apply());
        (a.join().unwrap(), b.join().unwrap())
    });
    rig.needles.assert_absent(&first.all(), "first apply");
    rig.needles.assert_absent(&second.all(), "second apply");
    let ids = rig.live_ids(&app).await;
    eprintln!(
        "two applies at once: exit codes {} and {}, {} connector(s)",
        first.code,
        second.code,
        ids.len()
    );
    match (first.code == 0, second.code == 0) {
        (true, true) => {
            // Both made one: each plan's refresh names both.
            assert_eq!(ids.len(), 2, "{ids:?}");
            for wd in [one, &two] {
                let plan = wd.plan();
                let out = plan.flat();
                rig.needles.assert_absent(&plan.all(), "plan");
                assert!(out.contains("Twin Coupa Connector"), "{}", plan.all());
                assert!(
                    ids.iter().all(|id| out.contains(id.as_str())),
                    "{}",
                    plan.all()
                );
            }
        }
        (true, false) | (false, true) => {
            // One saw the other's connector before creating: refused, naming it.
            let refused = if first.code == 0 { &second } else { &first };
            assert_eq!(ids.len(), 1, "{ids:?}");
            let out = refused.flat();
            assert!(
                out.contains("Coupa Integration Already Exists"),
                "{}",
                refused.all()
            );
            assert!(out.contains(ids[0].as_str()), "{}", refused.all());
        }
        (false, false) => panic!("neither applied:\n{}\n{}", first.all(), second.all()),
    }
}
