#include "util/file.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace fs = std::filesystem;
using namespace holdfast::util;

namespace {
fs::path temp_dir() {
    fs::path dir =
        fs::temp_directory_path() /
        ("holdfast-file-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}
}  // namespace

TEST(File, WriteDurablyThenReadBack) {
    fs::path dir = temp_dir();
    ASSERT_FALSE(write_file_durably(dir / "a", "hello\r\n"));
    std::string back;
    ASSERT_FALSE(read_file(dir / "a", back));
    EXPECT_EQ(back, "hello\r\n");
    // Replacing keeps exactly one file and leaves no temporary behind.
    ASSERT_FALSE(write_file_durably(dir / "a", "second"));
    ASSERT_FALSE(read_file(dir / "a", back));
    EXPECT_EQ(back, "second");
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
    fs::remove_all(dir);
}

TEST(File, ErrorsAreReportedNotThrown) {
    std::string out;
    EXPECT_TRUE(read_file("/nonexistent/holdfast/file", out));
    EXPECT_TRUE(write_file_durably("/nonexistent/holdfast/file", "x"));
    EXPECT_TRUE(fsync_directory("/nonexistent/holdfast"));
}
