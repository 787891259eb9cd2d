package fakediscord

import (
	"regexp"
	"slices"
)

// Pings is who a message notifies, as Discord computes it from the content and the
// message's allowed_mentions.
type Pings struct {
	// Everyone is true when @everyone or @here notifies the channel.
	Everyone bool
	Users    []string
	Roles    []string
}

// None reports whether the message notifies nobody.
func (p Pings) None() bool { return !p.Everyone && len(p.Users) == 0 && len(p.Roles) == 0 }

var (
	userMention  = regexp.MustCompile(`<@!?(\d+)>`)
	roleMention  = regexp.MustCompile(`<@&(\d+)>`)
	everyoneWord = regexp.MustCompile(`@(everyone|here)`)
)

// mentionsOf emulates Discord's mention parsing. Without allowed_mentions every kind of
// mention in the content notifies (Discord's default); with it, only the kinds listed
// in parse and the ids listed in users and roles do.
func mentionsOf(content string, allowed any) Pings {
	var users, roles []string
	for _, m := range userMention.FindAllStringSubmatch(content, -1) {
		users = append(users, m[1])
	}
	for _, m := range roleMention.FindAllStringSubmatch(content, -1) {
		roles = append(roles, m[1])
	}
	everyone := everyoneWord.MatchString(content)
	am, ok := allowed.(map[string]any)
	if !ok {
		return Pings{Everyone: everyone, Users: dedupe(users), Roles: dedupe(roles)}
	}
	parse := map[string]bool{}
	if ps, ok := am["parse"].([]any); ok {
		for _, p := range ps {
			if s, ok := p.(string); ok {
				parse[s] = true
			}
		}
	}
	listed := func(key string) []string {
		var out []string
		if xs, ok := am[key].([]any); ok {
			for _, x := range xs {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
	var p Pings
	p.Everyone = everyone && parse["everyone"]
	allowU, allowR := listed("users"), listed("roles")
	for _, u := range users {
		if parse["users"] || slices.Contains(allowU, u) {
			p.Users = append(p.Users, u)
		}
	}
	for _, r := range roles {
		if parse["roles"] || slices.Contains(allowR, r) {
			p.Roles = append(p.Roles, r)
		}
	}
	p.Users, p.Roles = dedupe(p.Users), dedupe(p.Roles)
	return p
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// Pinged returns who the stored message notified when it was last sent or edited.
func (s *Server) Pinged(messageID string) Pings {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[messageID]
	if !ok {
		return Pings{}
	}
	var p Pings
	p.Everyone, _ = m["mention_everyone"].(bool)
	if us, ok := m["mentions"].([]any); ok {
		for _, u := range us {
			if um, ok := u.(map[string]any); ok {
				if id, ok := um["id"].(string); ok {
					p.Users = append(p.Users, id)
				}
			}
		}
	}
	if rs, ok := m["mention_roles"].([]any); ok {
		for _, r := range rs {
			if id, ok := r.(string); ok {
				p.Roles = append(p.Roles, id)
			}
		}
	}
	return p
}
