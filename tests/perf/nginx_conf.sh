# nginx_conf.sh — sourced by bench.sh and ds_ab.sh: the nginx that serves captured answers (N).
# nginx_conf DIR WWW PORT CONTENT_TYPE [CKAN_CONTENT_TYPE] writes DIR/nginx.conf: 2 workers,
# keep-alive, sendfile, files under WWW; answers that differ by query string are stored as
# q/<path>/<raw query string> (package_search: q/<path>/_<raw query string>, so that an empty
# query string still names a file).
nginx_conf() {
    local ng=$1 www=$2 port=$3 ctype=$4 ckan=${5:-$4}
    mkdir -p "$ng/logs" "$ng/tmp"
    cat >"$ng/nginx.conf" <<CONF
worker_processes 2;
pid $ng/nginx.pid;
error_log $ng/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on; tcp_nopush on; keepalive_requests 1000000; keepalive_timeout 75s;
  open_file_cache max=1000; etag off; server_tokens off;
  client_body_temp_path $ng/tmp/body; proxy_temp_path $ng/tmp/proxy;
  fastcgi_temp_path $ng/tmp/fastcgi; uwsgi_temp_path $ng/tmp/uwsgi; scgi_temp_path $ng/tmp/scgi;
  types { }
  default_type "$ctype";
  server {
    listen 127.0.0.1:$port reuseport; root $www;
    location / { }
    location = /api/3/action/datastore_search { default_type "$ckan"; try_files /q\$uri/\$args =404; }
    location = /api/3/action/package_show { default_type "$ckan"; try_files /q\$uri/\$args =404; }
    location = /api/3/action/package_search { default_type "$ckan"; try_files /q\$uri/_\$args =404; }
    location ^~ /api/3/ { default_type "$ckan"; }
    location ^~ /api/v1/rest/datastore/ { try_files /q\$uri/\$args =404; }
    # the cached dump zip (the query string ?format=csv is ignored)
    location ^~ /api/v1/dump/ { default_type application/zip; }
  }
}
CONF
}
