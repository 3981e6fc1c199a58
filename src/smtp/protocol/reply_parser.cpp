// placeholder: see reply_parser.hpp
