//! `tocsin user list` and `tocsin token list`: their plain-text tables. Times are UTC, to the
//! minute; a token's secret is never in them (the store does not have it).

use jiff::Timestamp;
use tocsin_store::{ApiTokenRecord, UserRecord};

/// A time as the lists write it: `2026-11-26 09:30Z`, or `-` for none.
fn when(at: Option<Timestamp>) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |at| at.strftime("%Y-%m-%d %H:%MZ").to_string(),
    )
}

/// Lines of cells, each column as wide as its widest cell, two spaces apart.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `tocsin token list`: id, name, role, created, expires, last used, revoked; oldest first.
pub fn format_tokens(tokens: &[ApiTokenRecord], now: Timestamp) -> String {
    if tokens.is_empty() {
        return "no API tokens; make one with `tocsin token create --name NAME --role viewer`\n"
            .to_owned();
    }
    let mut rows = vec![
        [
            "ID",
            "NAME",
            "ROLE",
            "CREATED",
            "EXPIRES",
            "LAST USED",
            "REVOKED",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for token in tokens {
        let expires = match token.expires_at {
            Some(at) if at <= now => format!("{} (expired)", when(Some(at))),
            other => when(other),
        };
        rows.push(vec![
            token.id.clone(),
            token.name.clone(),
            token.role.as_str().to_owned(),
            when(Some(token.created_at)),
            expires,
            when(token.last_used_at),
            when(token.revoked_at),
        ]);
    }
    table(&rows)
}

/// `tocsin user list`: e-mail, role, whether they may sign in, since when.
pub fn format_users(users: &[UserRecord]) -> String {
    if users.is_empty() {
        return "no users; add one with `tocsin user add EMAIL --role admin`\n".to_owned();
    }
    let mut rows = vec![
        ["EMAIL", "ROLE", "STATUS", "CREATED"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for user in users {
        let status = match user.disabled_at {
            Some(at) => format!("disabled {}", when(Some(at))),
            None => "enabled".to_owned(),
        };
        rows.push(vec![
            user.email.clone(),
            user.role.as_str().to_owned(),
            status,
            when(Some(user.created_at)),
        ]);
    }
    table(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_store::Role;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a time")
    }

    #[test]
    fn the_token_list_shows_each_tokens_standing() {
        let deploy = ApiTokenRecord {
            id: "tok_ab12cd34".into(),
            name: "ci-deploy".into(),
            role: Role::Responder,
            created_at: at("2026-11-01T08:00:00Z"),
            expires_at: Some(at("2026-11-20T00:00:00Z")),
            last_used_at: Some(at("2026-11-19T17:45:10Z")),
            revoked_at: None,
        };
        let text = format_tokens(&[deploy], at("2026-11-26T00:00:00Z"));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ID"), "{text}");
        assert!(lines[0].contains("LAST USED"), "{text}");
        assert!(
            lines[1].contains("ci-deploy")
                && lines[1].contains("2026-11-20 00:00Z (expired)")
                && lines[1].contains("2026-11-19 17:45Z"),
            "{text}"
        );
        assert!(format_tokens(&[], at("2026-11-26T00:00:00Z")).contains("token create"));
    }
}
