#pragma once
// A fresh temporary directory per test, removed when the test passes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace holdfast::queue::testing {

class TestDir {
  public:
    TestDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = std::filesystem::temp_directory_path() /
                ("holdfast-" + std::string(info->test_suite_name()) + "-" + info->name() + "-" +
                 std::to_string(::getpid()));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TestDir() {
        if (!::testing::Test::HasFailure()) std::filesystem::remove_all(path_);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace holdfast::queue::testing
