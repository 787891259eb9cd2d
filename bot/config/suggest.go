package config

import (
	"fmt"
	"strings"
)

// closest returns the candidate nearest to s when it is near enough to be a likely
// typo (a case difference, or an edit distance of at most a third of the word, at
// least 1 and at most 2), or "".
func closest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if c == s {
			continue
		}
		d := editDistance(ls, strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := len([]rune(s)) / 3
	if limit < 1 {
		limit = 1
	}
	if limit > 2 {
		limit = 2
	}
	if best == "" || bestD > limit {
		return ""
	}
	return best
}

// didYouMean returns " (did you mean X?)" for a close candidate, or an empty phrase.
func didYouMean(s string, candidates []string) phrase {
	if c := closest(s, candidates); c != "" {
		return phrase{key: "config.did_you_mean", kv: []any{"V1", c}, en: fmt.Sprintf(" (did you mean %s?)", c)}
	}
	return phrase{}
}

// editDistance is the Damerau-Levenshtein (optimal string alignment) distance, so a
// swap of two neighbouring letters ("mnetor") counts as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// joinOr writes "a, b or c".
func joinOr(items []string) phrase {
	switch len(items) {
	case 0:
		return phrase{}
	case 1:
		return phrase{en: items[0]}
	}
	head, last := strings.Join(items[:len(items)-1], ", "), items[len(items)-1]
	return phrase{key: "config.join_or", kv: []any{"V1", head, "V2", last}, en: head + " or " + last}
}
