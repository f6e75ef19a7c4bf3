#include "cli/config_file.h"

#include <algorithm>
#include <cstdlib>

namespace taskly::cli {
namespace {

// The option an item of the file sets, or null (an unknown key, a section marker).
const CLI::Option* OptionOf(const CLI::App* app, const CLI::ConfigItem& item) {
  for (const std::string& parent : item.parents) {
    const CLI::App* sub = nullptr;
    for (const CLI::App* candidate : app->get_subcommands([](const CLI::App*) { return true; })) {
      if (candidate->get_name() == parent) sub = candidate;
    }
    if (sub == nullptr) return nullptr;
    app = sub;
  }
  return app->get_option_no_throw("--" + item.name);
}

}  // namespace

std::vector<CLI::ConfigItem> EnvFirstConfig::from_config(std::istream& input) const {
  std::vector<CLI::ConfigItem> entries = CLI::ConfigTOML::from_config(input);
  std::erase_if(entries, [this](const CLI::ConfigItem& item) {
    const CLI::Option* option = OptionOf(app_, item);
    if (option == nullptr || option->get_envname().empty()) return false;
    const char* value = std::getenv(option->get_envname().c_str());
    return value != nullptr && *value != '\0';
  });
  return entries;
}

}  // namespace taskly::cli
