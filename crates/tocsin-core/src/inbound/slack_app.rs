//! What the Slack app receives, read: a button press (`block_actions`, form-encoded
//! `payload=<json>`) and a `/tocsin` slash command (form fields), and the command's text parsed
//! into a [`Command`]. Signatures are checked with [`super::slack::verify`] first.

use serde_json::Value;

use super::ParseError;

/// Who pressed or typed, as Slack names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackUser {
    /// The member id (`U…`), matched against contacts' `slack`.
    pub id: String,
    /// Their user name, for the timeline when no contact matches.
    pub name: String,
}

/// One button press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Press {
    pub user: SlackUser,
    pub action_id: String,
    /// The button's `value` (the incident id, or a confirmation's token).
    pub value: String,
}

/// Reads an interactivity request. `Ok(None)` for interactions that carry no button press
/// (Slack expects a quick 200 for those too).
pub fn parse_press(body: &[u8]) -> Result<Option<Press>, ParseError> {
    let payload = form_urlencoded::parse(body)
        .find(|(key, _)| key == "payload")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| ParseError::Missing("payload".into()))?;
    let payload: Value =
        serde_json::from_str(&payload).map_err(|e| ParseError::Json(e.to_string()))?;
    if payload["type"] != "block_actions" {
        return Ok(None);
    }
    let Some(action) = payload["actions"].as_array().and_then(|a| a.first()) else {
        return Ok(None);
    };
    let action_id = action["action_id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ParseError::Missing("actions[0].action_id".into()))?;
    let user = user(&payload["user"])?;
    Ok(Some(Press {
        user,
        action_id: action_id.to_owned(),
        value: action["value"].as_str().unwrap_or("").to_owned(),
    }))
}

fn user(user: &Value) -> Result<SlackUser, ParseError> {
    let id = user["id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ParseError::Missing("user.id".into()))?;
    let name = user["username"]
        .as_str()
        .or_else(|| user["name"].as_str())
        .unwrap_or(id);
    Ok(SlackUser {
        id: id.to_owned(),
        name: name.to_owned(),
    })
}

/// A slash command as Slack posts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlashCommand {
    pub user: SlackUser,
    /// The command itself, like `/tocsin`.
    pub command: String,
    /// What followed it.
    pub text: String,
    /// Where it was typed.
    pub channel_id: String,
}

/// Reads a slash command's form (`user_id`, `user_name`, `command`, `text`, `channel_id`, …).
pub fn parse_slash_command(body: &[u8]) -> Result<SlashCommand, ParseError> {
    let field = |name: &str| {
        form_urlencoded::parse(body)
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let id = field("user_id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ParseError::Missing("user_id".into()))?;
    let name = field("user_name").unwrap_or_else(|| id.clone());
    Ok(SlashCommand {
        user: SlackUser { id, name },
        command: field("command").unwrap_or_else(|| "/tocsin".into()),
        text: field("text").unwrap_or_default(),
        channel_id: field("channel_id").unwrap_or_default(),
    })
}

/// What a `/tocsin` command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `declare <title> [severity]`: the severity, when the last word names one.
    Declare {
        title: String,
        severity: Option<String>,
    },
    /// `ack <incident>`.
    Ack { incident: String },
    /// `resolve <incident>`.
    Resolve { incident: String },
    /// `role <incident> <role> [person]`: gives an incident role to a person (a contact id, an
    /// e-mail, a Slack mention), or to whoever typed it when no person is named (or `me`).
    Role {
        incident: String,
        role: String,
        person: Option<Person>,
    },
    /// `oncall`: who is on call now.
    OnCall,
    /// `help`, or nothing.
    Help,
}

/// One subcommand: its word, its usage line, and how its arguments become a [`Command`]
/// (`severities` are the configured ones, for `declare`'s last word). A new subcommand is one
/// entry here, a [`Command`] variant and the engine's answer to it.
#[derive(Debug)]
pub struct Subcommand {
    pub word: &'static str,
    pub usage: &'static str,
    pub parse: fn(args: &str, severities: &[String]) -> Result<Command, String>,
}

/// Every subcommand, in the order `help` lists them.
pub const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        word: "declare",
        usage: "declare <title> [severity]: open an incident",
        parse: declare,
    },
    Subcommand {
        word: "ack",
        usage: "ack <incident>: acknowledge an incident",
        parse: |args, _| incident(args, "ack").map(|incident| Command::Ack { incident }),
    },
    Subcommand {
        word: "resolve",
        usage: "resolve <incident>: resolve an incident",
        parse: |args, _| incident(args, "resolve").map(|incident| Command::Resolve { incident }),
    },
    Subcommand {
        word: "role",
        usage: "role <incident> <commander|communications|scribe> [person|me]: give an incident role",
        parse: |args, _| role(args),
    },
    Subcommand {
        word: "oncall",
        usage: "oncall: who is on call now",
        parse: |_, _| Ok(Command::OnCall),
    },
    Subcommand {
        word: "help",
        usage: "help: this list",
        parse: |_, _| Ok(Command::Help),
    },
];

/// Parses a command's text; the error says what was wrong and what would be right.
pub fn parse_command(text: &str, severities: &[String]) -> Result<Command, String> {
    let text = text.trim();
    let (word, args) = text
        .split_once(char::is_whitespace)
        .map_or((text, ""), |(word, args)| (word, args.trim()));
    if word.is_empty() {
        return Ok(Command::Help);
    }
    let word = word.to_lowercase();
    let sub = SUBCOMMANDS
        .iter()
        .find(|sub| sub.word == word)
        .ok_or_else(|| format!("unknown command `{word}`; try: {}", words()))?;
    (sub.parse)(args, severities)
}

/// The subcommands' words, for an error.
fn words() -> String {
    SUBCOMMANDS
        .iter()
        .map(|sub| sub.word)
        .collect::<Vec<_>>()
        .join(", ")
}

fn declare(args: &str, severities: &[String]) -> Result<Command, String> {
    let (rest, last) = args
        .rsplit_once(char::is_whitespace)
        .map_or(("", args), |(rest, last)| (rest.trim(), last));
    let severity = severities
        .iter()
        .find(|severity| severity.eq_ignore_ascii_case(last))
        .cloned();
    let title = match &severity {
        Some(_) => rest,
        None => args,
    };
    if title.is_empty() {
        return Err("`declare` needs a title: /tocsin declare <title> [severity]".into());
    }
    Ok(Command::Declare {
        title: title.to_owned(),
        severity,
    })
}

fn incident(args: &str, word: &str) -> Result<String, String> {
    match args.split_whitespace().collect::<Vec<_>>().as_slice() {
        [incident] => Ok((*incident).to_owned()),
        [] => Err(format!(
            "`{word}` needs an incident: /tocsin {word} <incident>"
        )),
        _ => Err(format!(
            "`{word}` takes one incident id: /tocsin {word} <incident>"
        )),
    }
}

/// Who a `role` command names: a Slack user by mention, or a tocsin person by contact id or
/// e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    /// `<@U123>` or `<@U123|name>`: a Slack user, found among the contacts by their `slack` id.
    Slack(String),
    /// A contact id or a tocsin user's e-mail, as typed.
    Named(String),
}

/// The incident roles a `role` command may give (as the API names them).
const ROLES: [&str; 3] = ["commander", "communications", "scribe"];

fn role(args: &str) -> Result<Command, String> {
    const USAGE: &str = "/tocsin role <incident> <commander|communications|scribe> [person|me]";
    let words: Vec<&str> = args.split_whitespace().collect();
    let (incident, role, person) = match words.as_slice() {
        [incident, role] => (*incident, *role, None),
        [incident, role, person] => (*incident, *role, Some(*person)),
        _ => {
            return Err(format!(
                "`role` takes an incident, a role and a person: {USAGE}"
            ));
        }
    };
    let role = role.to_lowercase();
    if !ROLES.contains(&role.as_str()) {
        return Err(format!(
            "`{role}` is not an incident role; it is one of {}: {USAGE}",
            ROLES.join(", ")
        ));
    }
    let person = match person {
        None => None,
        Some(me) if me.eq_ignore_ascii_case("me") => None,
        Some(mention) if mention.starts_with("<@") && mention.ends_with('>') => {
            let inner = &mention[2..mention.len() - 1];
            let id = inner.split('|').next().unwrap_or_default();
            if id.is_empty() {
                return Err(format!("`{mention}` names no Slack user: {USAGE}"));
            }
            Some(Person::Slack(id.to_owned()))
        }
        Some(named) => Some(Person::Named(named.trim_start_matches('@').to_owned())),
    };
    Ok(Command::Role {
        incident: incident.to_owned(),
        role,
        person,
    })
}

/// The `help` text: one usage line per subcommand.
pub fn help(command: &str) -> String {
    SUBCOMMANDS
        .iter()
        .map(|sub| format!("`{command} {}`", sub.usage))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn severities() -> Vec<String> {
        vec!["SEV-1".into(), "SEV-2".into()]
    }

    #[test]
    fn commands_parse_and_a_trailing_severity_is_taken_from_the_title() {
        let parse = |text: &str| parse_command(text, &severities());
        assert_eq!(
            parse("declare Checkout is down sev-1"),
            Ok(Command::Declare {
                title: "Checkout is down".into(),
                severity: Some("SEV-1".into())
            })
        );
        assert_eq!(
            parse("declare Checkout is down"),
            Ok(Command::Declare {
                title: "Checkout is down".into(),
                severity: None
            })
        );
        assert_eq!(
            parse("ACK 0190abc"),
            Ok(Command::Ack {
                incident: "0190abc".into()
            })
        );
        assert_eq!(
            parse("resolve 0190abc"),
            Ok(Command::Resolve {
                incident: "0190abc".into()
            })
        );
        assert_eq!(parse("oncall"), Ok(Command::OnCall));
        assert_eq!(parse(""), Ok(Command::Help));
        assert!(parse("declare").is_err());
        assert!(parse("ack").is_err());
        assert!(
            parse("page everyone")
                .unwrap_err()
                .contains("declare, ack, resolve, role, oncall, help")
        );
        assert_eq!(
            parse("role 0190abc Commander"),
            Ok(Command::Role {
                incident: "0190abc".into(),
                role: "commander".into(),
                person: None,
            })
        );
        assert_eq!(
            parse("role 0190abc scribe <@U0ANA0001|ana>"),
            Ok(Command::Role {
                incident: "0190abc".into(),
                role: "scribe".into(),
                person: Some(Person::Slack("U0ANA0001".into())),
            })
        );
        assert_eq!(
            parse("role 0190abc communications ana@example.com"),
            Ok(Command::Role {
                incident: "0190abc".into(),
                role: "communications".into(),
                person: Some(Person::Named("ana@example.com".into())),
            })
        );
        assert!(parse("role 0190abc chief").is_err());
        assert!(parse("role 0190abc").is_err());
    }

    #[test]
    fn a_press_names_the_button_and_the_person() {
        let payload = serde_json::json!({
            "type": "block_actions",
            "user": { "id": "U0SAMI", "username": "sami" },
            "response_url": "https://hooks.slack.com/actions/T0/1/x",
            "actions": [{ "action_id": "run_action:rollback", "value": "inc-1", "type": "button" }],
        });
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        assert_eq!(
            parse_press(body.as_bytes()),
            Ok(Some(Press {
                user: SlackUser {
                    id: "U0SAMI".into(),
                    name: "sami".into()
                },
                action_id: "run_action:rollback".into(),
                value: "inc-1".into(),
            }))
        );
        assert!(parse_press(b"nothing=here").is_err());
    }

    #[test]
    fn a_slash_command_reads_slacks_form_fields() {
        let body = "token=x&team_id=T1&channel_id=C1&user_id=U0SAMI&user_name=sami&command=%2Ftocsin&text=ack+inc-1&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1";
        let command = parse_slash_command(body.as_bytes()).expect("parsed");
        assert_eq!(command.user.id, "U0SAMI");
        assert_eq!(command.text, "ack inc-1");
        assert_eq!(command.command, "/tocsin");
        assert!(parse_slash_command(b"text=help").is_err());
    }
}
