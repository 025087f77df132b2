# smtp-source-mailbox.awk: is each stored .eml the message smtp-source
# sent, byte for byte? Used by bench/plain-rate.sh and
# tests/integration/serve-store-load.sh over `mxlab serve --mailbox`:
#   xargs mawk -v h=HELO -f tests/lib/smtp-source-mailbox.awk <LIST_OF_EML
# prints "bad FILE" for each wrong one, then "FILES GOOD" (per xargs batch).
# smtp-source (-l 2000, no -F) sends 4 header lines, an empty line and its
# payload: From: <foo@HELO>, To: <foo@HELO>, Date: (the second it was
# sent), Message-Id: <...@HELO> (its process, session and message
# counters); then 2000 payload bytes built as in smtp-source.c: all 'X',
# and for each i = 80, 160, ... < 2000, byte i-80 is the digit (i/80)%10
# and bytes i-2, i-1 are CRLF: 24 lines "<digit>" + 77 'X' + CRLF, then 80
# 'X' with no line end; then "\r\n.\r\n", whose first CRLF belongs to the
# message (docs/serve.md: the final CRLF before the dot is stored). So the
# stored body (after the first empty line) must equal that 2002-byte
# string exactly, and the header must be exactly those 4 lines, Date and
# the Message-Id's local part being the only bytes allowed to vary. The
# expected body is built here from that rule, not from anything mxlab
# wrote. Written for -l 2000 only.
BEGIN {
	RS = "\r\n\r\n"
	for (i = 80; i < 2000; i += 80) {
		line = ((i / 80) % 10) ""
		for (k = 0; k < 77; k++) line = line "X"
		body = body line "\r\n"
	}
	for (k = 0; k < 80; k++) body = body "X"
	body = body "\r\n"
	from = "From: <foo@" h ">"; to = "To: <foo@" h ">"; tail = "@" h ">"
}
FNR == 1 {
	nf++
	k = split($0, hl, "\r\n")
	ok[FILENAME] = k == 4 && hl[1] == from && hl[2] == to && hl[3] ~ /^Date: ./ &&
		hl[4] ~ /^Message-Id: <[0-9a-f.]+@/ &&
		substr(hl[4], length(hl[4]) - length(tail) + 1) == tail
}
FNR == 2 { if ($0 != body) ok[FILENAME] = 0 }
FNR >= 2 { nrec[FILENAME] = FNR }
END {
	for (f in ok) {
		if (ok[f] && nrec[f] == 2) good++
		else print "bad " f
	}
	printf "%d %d\n", nf, good
}
