// Gives holdfast_asio_pch a translation unit to build the shared precompiled
// header with (see CMakeLists.txt); it defines nothing.
