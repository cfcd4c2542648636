use authdb_domain::{AgentEndpoint, AgentToken, AgentUrl, NetworkId, SessionId};

use super::*;

fn call(url: &str) -> AgentCall {
    AgentCall {
        endpoint: AgentEndpoint {
            url: AgentUrl::parse(url, "agent_url").expect("url"),
            token: Some(AgentToken::parse("s3cret", "agent_token").expect("token")),
        },
        router: NetworkId::new(),
        session: Some(SessionId::new()),
    }
}

#[test]
fn answers_are_data_refusals_or_not_understood() {
    assert_eq!(answer(StatusCode::OK, br#"{"success":true,"data":[1]}"#), Ok(json!([1])));
    assert_eq!(
        answer(StatusCode::BAD_REQUEST, br#"{"success":false,"error":{"code":"E1","message":"no\nway"}}"#),
        Err(AgentError::Refused { code: Some("E1".into()), message: "noway".into() })
    );
    assert_eq!(
        answer(StatusCode::OK, br#"{"success":false}"#),
        Err(AgentError::Refused { code: None, message: "the agent gave no reason".into() })
    );
    assert!(matches!(answer(StatusCode::BAD_GATEWAY, b"<html>"), Err(AgentError::Unavailable(_))));
    assert!(matches!(answer(StatusCode::OK, b"ok"), Err(AgentError::BadAnswer(_))));
    assert!(matches!(answer(StatusCode::CREATED, b"{\"data\":1}"), Err(AgentError::BadAnswer(_))));
}

#[test]
fn urls_and_bodies_carry_the_identifiers() {
    let call = call("http://127.0.0.1:9/agent/");
    let url = endpoint_url(&call, "scan", true).expect("url");
    assert_eq!(url.path(), "/agent/scan");
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(query[0], ("sessionId".to_owned(), call.session.expect("session").to_string()));
    assert_eq!(query[1], ("routerId".to_owned(), call.router.to_string()));
    assert_eq!(endpoint_url(&call, "blacklist", false).expect("url").query(), None);
    let target = RuleTarget::parse("10.0.0.1", "target").expect("target");
    let deny = write_body(&call, RuleList::Deny, target);
    assert_eq!(deny["ip"], "10.0.0.1");
    assert_eq!(deny["routerId"], call.router.to_string());
    assert_eq!(write_body(&call, RuleList::Allow, target)["target"], "10.0.0.1");
}

#[test]
fn debug_never_shows_the_token() {
    let agent = HttpRouterAgent::new(AgentClientConfig::default()).expect("builds");
    assert!(!format!("{agent:?}").contains("s3cret"));
    assert!(!format!("{:?}", call("http://a")).contains("s3cret"));
}
