# Turns vectors.txt into a C++ source holding its bytes, so the installed
# binary needs no data file. Run at build time: cmake -DIN=... -DOUT=... -P this.
# Hex bytes rather than a raw string: the data may contain anything.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp" "// Generated from vectors.txt by embed_vectors.cmake. Do not edit.\n"
    "#include <string_view>\n\n"
    "namespace holdfast::relaytest {\n"
    "namespace {\nconstexpr char kVectors[] = {\n${bytes}0};\n}  // namespace\n\n"
    "std::string_view builtin_vectors_text() { return {kVectors, sizeof kVectors - 1}; }\n\n"
    "}  // namespace holdfast::relaytest\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
