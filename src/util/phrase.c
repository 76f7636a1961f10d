/*
 * phrase.c: does a text contain a phrase, as words?
 *
 * The rule (docs/POLICY-FORMAT.md, appeal): letters compare without regard
 * to ASCII case; the phrase must start and end at word boundaries, where a
 * word is a run of ASCII letters, digits and non-ASCII bytes (so "odi" is
 * not found in "periodic" nor "50%" in "150%"); a space in the phrase
 * matches one or more spaces, tabs, line breaks or hyphens in the text
 * ("drug screen" finds "drug-screen" and "drug\nscreen"); a phrase ending
 * in '*' is a word prefix ("psycholog*" finds "psychological" and
 * "psychology", not "neuropsychological"). A boundary is required only on
 * a side where the phrase has a word character: "%" at its end needs none.
 */
#include <string.h>

#include "mednec/util.h"

static bool word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static bool gap_char(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-';
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* The phrase p[0..n) at text t; *prefix: no boundary needed after it. */
static bool match_at(const unsigned char *t, const unsigned char *p, size_t n, bool prefix)
{
	size_t j = 0;
	while (j < n) {
		if (p[j] == ' ') {
			if (!gap_char(*t))
				return false;
			while (gap_char(*t))
				t++;
			while (j < n && p[j] == ' ')
				j++;
			continue;
		}
		if (!*t || lower(*t) != lower(p[j]))
			return false;
		t++;
		j++;
	}
	return prefix || !word_char(p[n - 1]) || !word_char(*t);
}

bool mn_text_has_phrase(const char *text, const char *phrase)
{
	if (!text || !phrase)
		return false;
	const unsigned char *p = (const unsigned char *)phrase;
	size_t n = strlen(phrase);
	while (n && p[0] == ' ')
		p++, n--;
	while (n && p[n - 1] == ' ')
		n--;
	bool prefix = n > 1 && p[n - 1] == '*';
	if (prefix)
		n--;
	if (!n)
		return false;
	const unsigned char *t = (const unsigned char *)text;
	for (size_t i = 0; t[i]; i++) {
		if (i && word_char(p[0]) && word_char(t[i - 1]))
			continue;
		if (match_at(t + i, p, n, prefix))
			return true;
	}
	return false;
}
