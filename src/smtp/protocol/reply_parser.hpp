#pragma once
// (owned by the relay-tester work: parses server replies, multi-line aware)
