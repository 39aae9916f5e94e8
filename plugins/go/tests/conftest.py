"""Tests of the Go plugin. The last line turns on codeflash-engine's conformance suite."""

from __future__ import annotations

from codeflash_engine.testing.plugin_kit import LanguageSamples

#: the target file as the client sends it: package clause, imports, the target, same-file helpers
ORIGINAL = """\
package stats

import "strings"

// Median returns the lower median of the series; the series is not modified.
func (s *Series) Median() int {
	c := []int{}
	for _, v := range s.values {
		c = append(c, v)
	}
	for i := 0; i < len(c); i++ {
		for j := 0; j < len(c)-1-i; j++ {
			if c[j] > c[j+1] {
				c[j], c[j+1] = c[j+1], c[j]
			}
		}
	}
	return c[(len(c)-1)/2]
}

func (s *Series) Label() string {
	return strings.Repeat("*", s.Median())
}
"""

TEST_ANSWER = """\
Here are table-driven tests and a benchmark.

```go
package stats

import (
	"fmt"
	"testing"
)

func TestMedian(t *testing.T) {
	cases := []struct {
		values []int
		want   int
	}{
		{[]int{3, 1, 2}, 2},
		{[]int{4, 1, 3, 2}, 2},
		{[]int{7}, 7},
	}
	for _, c := range cases {
		s := &Series{values: c.values}
		if got := s.Median(); got != c.want {
			t.Errorf("Median(%v) = %d, want %d", c.values, got, c.want)
		}
	}
}

func TestMedianKeepsInput(t *testing.T) {
	values := []int{5, 3, 9}
	s := &Series{values: values}
	s.Median()
	if values[0] != 5 || values[1] != 3 || values[2] != 9 {
		t.Errorf("input changed: %v", values)
	}
}

func BenchmarkMedian(b *testing.B) {
	s := &Series{values: []int{5, 3, 9}}
	for i := 0; i < b.N; i++ {
		fmt.Sprint(s.Median())
	}
}
```
"""

SAMPLES = LanguageSamples(
    language="go",
    plugin="go",
    language_version="1.22.1",
    valid="package stats\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n",
    invalid="package stats\n\nfunc Add(a, b int) int {\n\treturn a +\n}\n",
    invalid_line=4,
    invalid_column=11,
    original={"stats/series.go": ORIGINAL},
    target="Series.Median",
    signature="func (s *Series) Median() int {",
    improved=[
        "Copy once and use the standard sort: O(n log n) instead of a bubble sort.\n\n"
        "```go:stats/series.go\nfunc (s *Series) Median() int {\n\tc := make([]int, len(s.values))\n"
        "\tcopy(c, s.values)\n\tsort.Ints(c)\n\treturn c[(len(c)-1)/2]\n}\n```\n",
        'slices.Sort (Go 1.21) on a clone.\n\n```go:stats/series.go\npackage stats\n\nimport "slices"\n\n'
        "func (s *Series) Median() int {\n\tc := slices.Clone(s.values)\n\tslices.Sort(c)\n"
        "\treturn c[(len(c)-1)/2]\n}\n```\n",
    ],
    identical=[
        "It is fine as it is.\n\n```go:stats/series.go\n"
        + ORIGINAL.replace("\t", "    ").replace("// Median returns", "// Median gives")
        + "```\n"
    ],
    changed_signature=[
        "A value receiver avoids the pointer.\n\n```go:stats/series.go\nfunc (s Series) Median() int {\n"
        "\tc := slices.Clone(s.values)\n\tslices.Sort(c)\n\treturn c[(len(c)-1)/2]\n}\n```\n",
        "Return an error for empty input.\n\n```go:stats/series.go\nfunc (s *Series) Median() (int, error) {\n"
        "\tc := slices.Clone(s.values)\n\tslices.Sort(c)\n\treturn c[(len(c)-1)/2], nil\n}\n```\n",
    ],
    invalid_answers=[
        "Faster.\n\n```go:stats/series.go\nfunc (s *Series) Median() int {\n\treturn s.values[0\n}\n```\n"
    ],
    test_framework="go-test",
    test_answer=TEST_ANSWER,
    module_path="/home/dev/project/stats/series.go",
    test_module_path="stats/series__unit_test_0_test.go",
)

codeflash_engine_conformance = SAMPLES
