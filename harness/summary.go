package harness

import (
	"regexp"
	"strings"
)

// maxMessage is the most runes a failure's one-line message keeps.
const maxMessage = 240

var (
	labelLine = regexp.MustCompile(`^\t([A-Z][A-Za-z ]*):\s*\t(.*)$`)
	moreLine  = regexp.MustCompile(`^\t +\t(.*)$`)
)

// summarize returns one line for an error message. For testify's labelled
// output it is the Error block up to its first blank line, then the Messages
// block; for any other message it is the first line that is not blank.
func summarize(msg string) string {
	blocks := labelledBlocks(msg)
	line, ok := blocks["Error"]
	if ok {
		if m := blocks["Messages"]; m != "" {
			line += "; " + m
		}
	} else {
		for l := range strings.SplitSeq(msg, "\n") {
			if line = strings.TrimSpace(l); line != "" {
				break
			}
		}
	}
	return clip(strings.Join(strings.Fields(line), " "), maxMessage)
}

// labelledBlocks splits testify's output into its labelled blocks, each
// joined into one line and cut at its first blank line.
func labelledBlocks(msg string) map[string]string {
	parts := map[string][]string{}
	closed := map[string]bool{}
	label := ""
	for l := range strings.SplitSeq(msg, "\n") {
		if m := labelLine.FindStringSubmatch(l); m != nil {
			label = m[1]
			parts[label] = append(parts[label], strings.TrimSpace(m[2]))
			continue
		}
		m := moreLine.FindStringSubmatch(l)
		if m == nil || label == "" || closed[label] {
			continue
		}
		if text := strings.TrimSpace(m[1]); text != "" {
			parts[label] = append(parts[label], text)
		} else {
			closed[label] = true
		}
	}
	blocks := make(map[string]string, len(parts))
	for k, v := range parts {
		blocks[k] = strings.Join(v, " ")
	}
	return blocks
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
