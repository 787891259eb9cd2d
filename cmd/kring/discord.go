package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kring-school/kring/adapters/discord"
)

func cmdDiscord(args []string, stdout, stderr io.Writer) int {
	const about = "Usage: kring discord invite-url [--app-id ID]\n\nPrints the link that adds Kring's bot to a Discord server with exactly the\nscopes and permissions it needs (see docs/discord.md).\n"
	if len(args) == 0 || args[0] != "invite-url" {
		fmt.Fprint(stderr, about)
		envHelp(stderr, cmdDiscordName)
		if wantsHelp(args) {
			return 0
		}
		return 2
	}
	fs := flag.NewFlagSet("kring discord invite-url", flag.ContinueOnError)
	fs.SetOutput(stderr)
	app := fs.String("app-id", os.Getenv("DISCORD_APP_ID"), "the Application ID from the Discord Developer Portal (env DISCORD_APP_ID)")
	fs.Usage = func() {
		fmt.Fprint(stderr, about+"\nFlags:\n")
		fs.PrintDefaults()
		envHelp(stderr, cmdDiscordName)
	}
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	if *app == "" {
		fmt.Fprintln(stderr, "kring: give the Application ID with --app-id or DISCORD_APP_ID (Developer Portal → your application → General Information)")
		return 2
	}
	fmt.Fprintln(stdout, discord.InviteURL(*app))
	return 0
}
