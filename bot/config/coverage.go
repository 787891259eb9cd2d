package config

// Coverage is who and what a platform cannot reach with this configuration.
type Coverage struct {
	Platform string
	// NoID are the people without a user id on the platform, in roster order.
	NoID []*Person
	// NoChannel are the classes without a channel on the platform.
	NoChannel []*Class
}

// Complete reports whether the platform reaches everyone and every class.
func (c Coverage) Complete() bool { return len(c.NoID) == 0 && len(c.NoChannel) == 0 }

// CoverageOf returns what platform ("discord" or "slack") cannot reach.
func (s *School) CoverageOf(platform string) Coverage {
	c := Coverage{Platform: platform}
	for _, p := range s.People {
		id := p.Discord
		if platform == "slack" {
			id = p.Slack
		}
		if id == "" {
			c.NoID = append(c.NoID, p)
		}
	}
	for _, cl := range s.Classes {
		ch := cl.Discord.Channel
		if platform == "slack" {
			ch = cl.Slack.Channel
		}
		if ch == "" {
			c.NoChannel = append(c.NoChannel, cl)
		}
	}
	return c
}

// Platforms returns the platforms the school is set up for (a Discord guild, a Slack
// team), in Kring's order of preference.
func (s *School) Platforms() []string {
	var out []string
	if s.Discord.Guild != "" {
		out = append(out, "discord")
	}
	if s.Slack.Team != "" {
		out = append(out, "slack")
	}
	return out
}

// Unreachable returns the people no platform in platforms has an id for.
func (s *School) Unreachable(platforms []string) []*Person {
	var out []*Person
	for _, p := range s.People {
		found := false
		for _, pl := range platforms {
			if (pl == "discord" && p.Discord != "") || (pl == "slack" && p.Slack != "") || pl == "shell" {
				found = true
			}
		}
		if !found {
			out = append(out, p)
		}
	}
	return out
}
