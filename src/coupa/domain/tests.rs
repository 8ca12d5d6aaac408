use super::*;
use proptest::prelude::*;
use DomainError as E;

fn accepted(input: &str) -> String {
    match CoupaDomain::parse(input) {
        Ok(d) => d.url(),
        Err(e) => panic!("{input:?} was rejected: {e}"),
    }
}

#[test]
fn accepted_inputs_are_normalised() {
    let table = [
        ("acme.coupahost.com", "https://acme.coupahost.com"),
        ("acme.coupacloud.com", "https://acme.coupacloud.com"),
        ("https://acme.coupahost.com", "https://acme.coupahost.com"),
        ("https://acme.coupahost.com/", "https://acme.coupahost.com"),
        (
            "https://ACME.CoupaCloud.com/",
            "https://acme.coupacloud.com",
        ),
        ("HTTPS://ACME.COUPAHOST.COM", "https://acme.coupahost.com"),
        (
            "https://acme.coupahost.com/session/new",
            "https://acme.coupahost.com",
        ),
        (
            "https://acme.coupahost.com/session/new?x=1#top",
            "https://acme.coupahost.com",
        ),
        ("acme.coupahost.com/api", "https://acme.coupahost.com"),
        ("acme.coupahost.com?query", "https://acme.coupahost.com"),
        ("  acme.coupahost.com \n", "https://acme.coupahost.com"),
        (
            "\thttps://acme-test.coupahost.com\t",
            "https://acme-test.coupahost.com",
        ),
        (
            "acme-coupalink-demo.coupacloud.com",
            "https://acme-coupalink-demo.coupacloud.com",
        ),
        ("a.coupahost.com", "https://a.coupahost.com"),
        ("0.coupahost.com", "https://0.coupahost.com"),
        ("123abc.coupahost.com", "https://123abc.coupahost.com"),
        ("a--b.coupahost.com", "https://a--b.coupahost.com"),
    ];
    for (input, want) in table {
        assert_eq!(accepted(input), want, "input {input:?}");
    }
    let max = format!("{}.coupahost.com", "a".repeat(63));
    assert_eq!(accepted(&max), format!("https://{max}"));
}

#[test]
fn rejected_inputs_name_the_reason() {
    let long = format!("{}.coupahost.com", "a".repeat(64));
    let table: Vec<(&str, E)> = vec![
        ("", E::Empty),
        ("   ", E::Empty),
        ("https://", E::Empty),
        ("https:///session/new", E::Empty),
        ("http://acme.coupahost.com", E::InsecureScheme),
        ("HTTP://acme.coupahost.com/", E::InsecureScheme),
        (
            "ftp://acme.coupahost.com",
            E::UnsupportedScheme("ftp".into()),
        ),
        (
            "wss://acme.coupahost.com",
            E::UnsupportedScheme("wss".into()),
        ),
        ("acme.coupahost.com:443", E::Port("443".into())),
        ("https://acme.coupahost.com:8443/x", E::Port("8443".into())),
        ("acme.coupahost.com:", E::Port("".into())),
        ("https://user:pw@acme.coupahost.com", E::UserInfo),
        ("user@acme.coupahost.com", E::UserInfo),
        ("https://10.0.0.1", E::IpAddress("10.0.0.1".into())),
        ("127.0.0.1", E::IpAddress("127.0.0.1".into())),
        ("https://[::1]/", E::IpAddress("[::1]".into())),
        (
            "acme.coupahost.com.",
            E::TrailingDot("acme.coupahost.com.".into()),
        ),
        (
            "acme..coupahost.com",
            E::EmptyLabel("acme..coupahost.com".into()),
        ),
        (".coupahost.com", E::EmptyLabel(".coupahost.com".into())),
        ("coupahost.com", E::BareSuffix("coupahost.com".into())),
        (
            "https://CoupaCloud.com",
            E::BareSuffix("coupacloud.com".into()),
        ),
        ("acme", E::MissingSuffix("acme".into())),
        (
            "acme.risk.coupahost.com",
            E::ExtraLabels("acme.risk.coupahost.com".into()),
        ),
        (
            "a.b.coupacloud.com",
            E::ExtraLabels("a.b.coupacloud.com".into()),
        ),
        ("acme.coupa.com", E::NotCoupa("acme.coupa.com".into())),
        ("acme.coupadev.com", E::NotCoupa("acme.coupadev.com".into())),
        ("acmecoupahost.com", E::NotCoupa("acmecoupahost.com".into())),
        (
            "acme.coupahost.com.evil.com",
            E::NotCoupa("acme.coupahost.com.evil.com".into()),
        ),
        (
            "https://evil.com\\@acme.coupahost.com",
            E::NotCoupa("evil.com".into()),
        ),
        (
            "https://evil.com\\.acme.coupahost.com",
            E::NotCoupa("evil.com".into()),
        ),
        (
            "acme_corp.coupahost.com",
            tenant("acme_corp", TenantProblem::Character('_')),
        ),
        (
            "ac me.coupahost.com",
            tenant("ac me", TenantProblem::Character(' ')),
        ),
        (
            "acmé.coupahost.com",
            tenant("acmé", TenantProblem::Character('é')),
        ),
        (
            "https:acme.coupahost.com",
            tenant("https:acme", TenantProblem::Character(':')),
        ),
        (
            "-acme.coupahost.com",
            tenant("-acme", TenantProblem::EdgeHyphen),
        ),
        (
            "acme-.coupacloud.com",
            tenant("acme-", TenantProblem::EdgeHyphen),
        ),
        (&long, tenant(&"a".repeat(64), TenantProblem::TooLong(64))),
    ];
    assert!(table.len() >= 30);
    for (input, want) in table {
        assert_eq!(CoupaDomain::parse(input), Err(want), "input {input:?}");
    }
}

fn tenant(t: &str, problem: TenantProblem) -> E {
    E::InvalidTenant {
        tenant: t.into(),
        problem,
    }
}

#[test]
fn messages_show_the_expected_form_and_never_user_info() {
    for input in [
        "",
        "http://acme.coupahost.com",
        "acme_x.coupahost.com",
        "acme.coupa.com",
    ] {
        let msg = CoupaDomain::parse(input).unwrap_err().to_string();
        assert!(msg.ends_with(EXPECTED_FORM), "{msg}");
    }
    let msg = CoupaDomain::parse("https://admin:hunter2@acme.coupahost.com")
        .unwrap_err()
        .to_string();
    assert!(!msg.contains("hunter2") && !msg.contains("admin"), "{msg}");
    let msg = CoupaDomain::parse("ac\u{1b}[31mme.coupahost.com")
        .unwrap_err()
        .to_string();
    assert!(!msg.contains('\u{1b}'), "{msg}");
}

#[test]
fn accessors() {
    let d = CoupaDomain::parse("https://Acme-Test.CoupaCloud.com/session/new").unwrap();
    assert_eq!(d.tenant(), "acme-test");
    assert_eq!(d.cloud(), Cloud::Partner);
    assert_eq!(d.host(), "acme-test.coupacloud.com");
    assert_eq!(d.url(), "https://acme-test.coupacloud.com");
    assert_eq!(d.base_url().as_str(), "https://acme-test.coupacloud.com/");
    assert_eq!(d.to_string(), d.url());
    assert_eq!("acme-test.coupacloud.com".parse::<CoupaDomain>(), Ok(d));
}

fn reparses_to_itself(d: &CoupaDomain) {
    assert_eq!(CoupaDomain::parse(&d.url()).as_ref(), Ok(d));
    assert_eq!(CoupaDomain::parse(&d.host()).as_ref(), Ok(d));
    assert_eq!(d.base_url().host_str(), Some(d.host().as_str()));
}

proptest! {
    #[test]
    fn never_panics_and_accepted_output_is_stable(input in any::<String>()) {
        if let Ok(d) = CoupaDomain::parse(&input) {
            reparses_to_itself(&d);
        }
    }

    /// Every way of writing a valid instance (scheme or not, any case, a pasted path, query or
    /// fragment, surrounding whitespace) is accepted and means that instance.
    #[test]
    fn every_spelling_of_a_valid_instance_is_accepted(
        tenant in "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?",
        partner in any::<bool>(),
        upper in any::<bool>(),
        scheme in prop::sample::select(&["", "https://", "HTTPS://", "Https://"][..]),
        rest in "(/[a-zA-Z0-9/_.-]{0,12})?([?#][a-z=&/:@]{0,8})?",
        space in "[ \t\n]{0,2}",
    ) {
        let cloud = if partner { Cloud::Partner } else { Cloud::Customer };
        let host = format!("{tenant}.{}", cloud.suffix());
        let typed = if upper { host.to_ascii_uppercase() } else { host.clone() };
        let input = format!("{space}{scheme}{typed}{rest}{space}");
        let d = CoupaDomain::parse(&input);
        prop_assert!(d.is_ok(), "{:?}: {:?}", input, d);
        let d = d.unwrap();
        prop_assert_eq!(d.host(), host.clone());
        prop_assert_eq!((d.tenant(), d.cloud()), (tenant.as_str(), cloud));
    }

    /// A user name or password in a pasted URL is refused and never quoted back.
    #[test]
    fn user_info_is_refused_and_never_quoted(
        user in "[a-zA-Z0-9._~-]{1,12}",
        password in "[a-zA-Z0-9._~!$&'()*+,;=-]{6,16}",
        host in "[a-z]{1,8}\\.(coupahost|coupacloud|example)\\.com",
    ) {
        let input = format!("https://{user}:{password}@{host}/session/new");
        let message = CoupaDomain::parse(&input).unwrap_err().to_string();
        prop_assert!(!message.contains(&password), "{}", message);
    }

    #[test]
    fn plausible_inputs_are_stable(
        input in "[ ]{0,2}((https?|HTTPS|ftp)://)?[a-zA-Z0-9_.-]{0,66}\\.(coupahost|coupacloud|CoupaHost|coupa|coupadev)\\.com\\.?(:[0-9]{0,4})?([/?#][a-z/]{0,10})?[ ]{0,2}"
    ) {
        if let Ok(d) = CoupaDomain::parse(&input) {
            reparses_to_itself(&d);
            prop_assert!(d.tenant().len() <= 63);
        }
    }
}

#[test]
fn endpoints_keep_the_base_path() {
    let join = |base: &str| endpoint(&Url::parse(base).unwrap(), &["oauth2", "token"]).to_string();
    assert_eq!(
        join("https://acme.coupahost.com"),
        "https://acme.coupahost.com/oauth2/token"
    );
    assert_eq!(
        join("https://acme.coupahost.com/"),
        "https://acme.coupahost.com/oauth2/token"
    );
    assert_eq!(
        join("http://127.0.0.1:8080/coupa"),
        "http://127.0.0.1:8080/coupa/oauth2/token"
    );
    assert_eq!(
        join("http://127.0.0.1:8080/coupa/"),
        "http://127.0.0.1:8080/coupa/oauth2/token"
    );
}

/// The one comparable form: a valid domain as its host, another value loosely the same way.
#[test]
fn comparable_forms() {
    use super::comparable;
    for same in [
        "acme.coupahost.com",
        "https://ACME.coupahost.com/",
        " https://acme.coupahost.com/session/new ",
    ] {
        assert_eq!(comparable(same), "acme.coupahost.com", "{same:?}");
    }
    // Not a Coupa domain (as ConductorOne may show one entered in its UI): compared loosely.
    assert_eq!(comparable("HTTP://Acme.Example.com/x"), "acme.example.com");
    assert_eq!(comparable("acme.coupahost.com."), "acme.coupahost.com");
    assert_ne!(
        comparable("beta.coupahost.com"),
        comparable("acme.coupahost.com")
    );
}
