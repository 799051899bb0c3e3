/* The socket options quinn-udp 0.6 (webrtc 0.21's UDP sockets) sets on Windows, one by one, with the error each
 * gives: x86_64-w64-mingw32-gcc -o probe.exe udp-options-probe.c -lws2_32 && wine64 probe.exe
 * (vendor/README.md, "quinn-udp under Wine"). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdio.h>
#ifndef IP_RECVECN
#define IP_RECVECN 50
#endif
#ifndef IPV6_RECVECN
#define IPV6_RECVECN 50
#endif
#ifndef UDP_SEND_MSG_SIZE
#define UDP_SEND_MSG_SIZE 2
#endif
#ifndef UDP_RECV_MAX_COALESCED_SIZE
#define UDP_RECV_MAX_COALESCED_SIZE 3
#endif
static void so(SOCKET s, int lvl, int opt, const char *name) {
  DWORD on = 1;
  int r = setsockopt(s, lvl, opt, (char*)&on, sizeof on);
  printf("  setsockopt %-28s -> %d (err %d)\n", name, r, r ? WSAGetLastError() : 0);
}
static void go(SOCKET s, int lvl, int opt, const char *name, int len) {
  char buf[1024]; int l = len;
  int r = getsockopt(s, lvl, opt, buf, &l);
  printf("  getsockopt %-28s -> %d (err %d)\n", name, r, r ? WSAGetLastError() : 0);
}
static void probe(int fam) {
  printf("family %s\n", fam == AF_INET ? "AF_INET" : "AF_INET6");
  SOCKET s = WSASocketW(fam, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
  u_long nb = 1; printf("  ioctlsocket FIONBIO -> %d\n", ioctlsocket(s, FIONBIO, &nb));
  go(s, SOL_SOCKET, SO_PROTOCOL_INFOW, "SO_PROTOCOL_INFOW", sizeof(WSAPROTOCOL_INFOW));
  go(s, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 4);
  GUID g = WSAID_WSARECVMSG; LPFN_WSARECVMSG f = NULL; DWORD n = 0;
  int r = WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof g, &f, sizeof f, &n, NULL, NULL);
  printf("  WSAIoctl(WSARecvMsg) -> %d (err %d) %p\n", r, r ? WSAGetLastError() : 0, f);
  if (fam == AF_INET) {
    so(s, IPPROTO_IP, IP_DONTFRAGMENT, "IP_DONTFRAGMENT");
    so(s, IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO");
    so(s, IPPROTO_IP, IP_RECVECN, "IP_RECVECN");
  } else {
    so(s, IPPROTO_IPV6, IPV6_DONTFRAG, "IPV6_DONTFRAG");
    so(s, IPPROTO_IPV6, IPV6_PKTINFO, "IPV6_PKTINFO");
    so(s, IPPROTO_IPV6, IPV6_RECVECN, "IPV6_RECVECN");
  }
  go(s, IPPROTO_UDP, UDP_SEND_MSG_SIZE, "UDP_SEND_MSG_SIZE", 4);
  so(s, IPPROTO_UDP, UDP_RECV_MAX_COALESCED_SIZE, "UDP_RECV_MAX_COALESCED_SIZE");
  closesocket(s);
}
int main(void) {
  WSADATA w; WSAStartup(MAKEWORD(2,2), &w);
  probe(AF_INET); probe(AF_INET6);
  return 0;
}
