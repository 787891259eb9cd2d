package fakeslack

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits the fake enforces as Slack does (it answers invalid_blocks): 50
// blocks a message, block_id 255 characters and unique, section text 3000, 25
// elements in an actions block, action_id 255 and unique in the message, button text
// 75 and value 2000, 100 options in a static select with text 75 and value 150, 10
// elements in a context block, and no empty text object.
func validateBlocks(raw string) string {
	if raw == "" {
		return ""
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return "blocks: not a JSON array"
	}
	if len(blocks) > 50 {
		return fmt.Sprintf("blocks: %d blocks, at most 50", len(blocks))
	}
	blockIDs, actionIDs := map[string]bool{}, map[string]bool{}
	for i, b := range blocks {
		if id, _ := b["block_id"].(string); id != "" {
			if len(id) > 255 || blockIDs[id] {
				return fmt.Sprintf("blocks[%d].block_id: too long or duplicated", i)
			}
			blockIDs[id] = true
		}
		switch b["type"] {
		case "section":
			if p := checkText(b["text"], 3000, true); p != "" {
				return fmt.Sprintf("blocks[%d].text: %s", i, p)
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				return fmt.Sprintf("blocks[%d].elements: 1 to 10", i)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 25 {
				return fmt.Sprintf("blocks[%d].elements: 1 to 25", i)
			}
			for j, e := range els {
				el, _ := e.(map[string]any)
				if p := checkElement(el, actionIDs); p != "" {
					return fmt.Sprintf("blocks[%d].elements[%d].%s", i, j, p)
				}
			}
		}
	}
	return ""
}

func checkElement(el map[string]any, actionIDs map[string]bool) string {
	id, _ := el["action_id"].(string)
	if len(id) > 255 {
		return "action_id: must be at most 255 characters"
	}
	if id != "" {
		if actionIDs[id] {
			return "action_id: duplicated"
		}
		actionIDs[id] = true
	}
	switch el["type"] {
	case "button":
		if p := checkText(el["text"], 75, false); p != "" {
			return "text: " + p
		}
		if v, _ := el["value"].(string); len(v) > 2000 {
			return "value: must be at most 2000 characters"
		}
	case "static_select":
		opts, _ := el["options"].([]any)
		if len(opts) == 0 || len(opts) > 100 {
			return "options: 1 to 100"
		}
		for k, o := range opts {
			om, _ := o.(map[string]any)
			if p := checkText(om["text"], 75, false); p != "" {
				return fmt.Sprintf("options[%d].text: %s", k, p)
			}
			if v, _ := om["value"].(string); v == "" || len(v) > 150 {
				return fmt.Sprintf("options[%d].value: must be 1 to 150 characters", k)
			}
		}
	}
	return ""
}

func checkText(t any, max int, mrkdwnOK bool) string {
	tm, _ := t.(map[string]any)
	if tm == nil {
		return "missing"
	}
	s, _ := tm["text"].(string)
	if s == "" {
		return "must not be empty"
	}
	if utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("must be at most %d characters", max)
	}
	if tm["type"] == "mrkdwn" && !mrkdwnOK {
		return "must be plain_text"
	}
	return ""
}
