package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kring-school/kring/adapters/discord"
)

func cmdDiscord(u *ui, args []string, stdout, stderr io.Writer) int {
	about := u.L.T("cli.discord.usage") + "\n"
	if len(args) == 0 || args[0] != "invite-url" {
		fmt.Fprint(stderr, about)
		u.envHelp(stderr, cmdDiscordName)
		if wantsHelp(args) {
			return 0
		}
		return 2
	}
	fs := flag.NewFlagSet("kring discord invite-url", flag.ContinueOnError)
	app := fs.String("app-id", os.Getenv("DISCORD_APP_ID"), u.L.T("cli.flag.app_id"))
	u.langFlag(fs, "lang")
	usage := func() {
		fmt.Fprint(stderr, about+"\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdDiscordName)
	}
	if code, done := u.parseFlags(fs, args[1:], stderr, usage); done {
		return code
	}
	if *app == "" {
		fmt.Fprintln(stderr, "kring: "+u.L.T("cli.discord.no_app_id"))
		return 2
	}
	fmt.Fprintln(stdout, discord.InviteURL(*app))
	return 0
}
