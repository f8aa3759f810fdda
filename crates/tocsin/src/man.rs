//! `tocsin man`: one manual page generated from the command-line definition (clap_mangen for
//! the title, synopsis and global options; a COMMANDS section with every subcommand's own
//! arguments and their environment variables), so the page can never disagree with `--help`.

use std::io::Write as _;

use clap::{Arg, Command};
use roff::{Roff, bold, italic, roman};

/// The whole page as roff, ASCII only: any other character is written as a groff `\[uXXXX]`
/// escape, which `man` and `groff -Tutf8` show as the character itself.
pub fn render(command: Command) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    let mut commands = Roff::new();
    commands.control("SH", ["COMMANDS"]);
    for sub in visible_subcommands(&command) {
        describe(&mut commands, command.get_name(), sub);
    }
    commands.control("SH", ["ENVIRONMENT"]);
    commands.text([roman(
        "Every option marked [env: NAME] may be given in that environment variable instead; \
         the option on the command line wins. Logs go to standard error, filtered by ",
    )]);
    commands.text([
        bold("RUST_LOG"),
        roman(" (default "),
        italic("info"),
        roman("). Colours are used only on a terminal, and never when "),
        bold("NO_COLOR"),
        roman(" is set."),
    ]);
    page.write_all(commands.render().as_bytes())?;
    man.render_version_section(&mut page)?;
    Ok(ascii_only(&String::from_utf8_lossy(&page)).into_bytes())
}

const NO_ARGUMENTS: [&str; 0] = [];

/// Text lines, each its own roff text line (so none can start a control line), blank ones left
/// out.
fn paragraph(roff: &mut Roff, text: &str) {
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        roff.text([roman(line)]);
    }
}

fn visible_subcommands(command: &Command) -> impl Iterator<Item = &Command> {
    command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set() && sub.get_name() != "help")
}

/// A subsection per subcommand (`tocsin user add`), its description and its arguments; then
/// its own subcommands.
fn describe(roff: &mut Roff, parent: &str, command: &Command) {
    let path = format!("{parent} {}", command.get_name());
    roff.control("SS", [path.as_str()]);
    let about = command
        .get_long_about()
        .or_else(|| command.get_about())
        .map(ToString::to_string)
        .unwrap_or_default();
    paragraph(roff, &about);
    for arg in command.get_arguments().filter(|arg| !arg.is_hide_set()) {
        roff.control("TP", NO_ARGUMENTS);
        roff.text(argument_line(arg));
        let mut help = arg
            .get_long_help()
            .or_else(|| arg.get_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|value| !value.is_hide_set())
            .map(|value| value.get_name().to_owned())
            .collect();
        if !values.is_empty() {
            help.push_str(&format!(" [possible values: {}]", values.join(", ")));
        }
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|value| value.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() {
            help.push_str(&format!(" [default: {}]", defaults.join(", ")));
        }
        if let Some(env) = arg.get_env() {
            help.push_str(&format!(" [env: {}]", env.to_string_lossy()));
        }
        paragraph(roff, &help);
    }
    for sub in visible_subcommands(command) {
        describe(roff, &path, sub);
    }
}

/// `--listen <LISTEN>`, `-y, --yes` or `<EMAIL>`.
fn argument_line(arg: &Arg) -> Vec<roff::Inline> {
    let value = arg
        .get_value_names()
        .and_then(|names| names.first())
        .map_or_else(|| arg.get_id().as_str().to_uppercase(), ToString::to_string);
    let mut line = Vec::new();
    if arg.is_positional() {
        line.push(italic(format!("<{value}>")));
        return line;
    }
    if let Some(short) = arg.get_short() {
        line.push(bold(format!("-{short}")));
        line.push(roman(", "));
    }
    if let Some(long) = arg.get_long() {
        line.push(bold(format!("--{long}")));
    }
    if arg.get_action().takes_values() {
        line.push(roman(" "));
        line.push(italic(format!("<{value}>")));
    }
    line
}

/// Replaces every non-ASCII character with groff's Unicode escape: groff reads its input as
/// Latin-1, where UTF-8's bytes would be mojibake or invalid input.
fn ascii_only(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for c in page.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_becomes_groff_escapes() {
        assert_eq!(ascii_only("a … b"), "a \\[u2026] b");
        assert_eq!(ascii_only("plain"), "plain");
    }
}
