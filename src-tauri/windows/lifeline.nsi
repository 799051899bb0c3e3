; Lifeline for Windows: the per-machine installer, built on Linux by Debian's makensis
; (scripts/build-windows --installer; tauri's bundler needs the Windows toolchain and downloads NSIS itself).
;
;   makensis -DVERSION=0.1.0 -DHEADLESS_EXE=... [-DAPP_EXE=... -DWEBVIEW2_LOADER=...] -DROOT=<repo> -DOUTFILE=...
;            lifeline.nsi
;
; WEBVIEW2_LOADER: the app built for x86_64-pc-windows-gnu imports WebView2Loader.dll (MSVC builds link it
; statically), so it ships beside lifeline.exe.
;
; Per machine (Program Files, HKLM; needs an administrator), silent with /S (install and uninstall),
; registers the tel: and sip: links for the app, and puts the Group Policy templates (ADMX/ADML) and the
; policy schema beside it, in <install dir>\policy, for IT to copy into their PolicyDefinitions store.
; The uninstaller removes everything the installer wrote; it leaves the organisation's policy
; (HKLM\SOFTWARE\Policies\Lifeline) and the users' own data and passwords alone.

Unicode true
Target amd64-unicode
SetCompressor /SOLID lzma
; A dictionary that holds both programs: lifeline.exe and lifeline-headless.exe each carry the whole engine, and
; with the default 8 MB window the second copy could not be matched against the first. The dist installer
; went from 10,047,887 bytes to 6,717,736 (README "Building installers"); installing needs 32 MB of memory to unpack.
SetCompressorDictSize 32
RequestExecutionLevel admin
ManifestDPIAware true

!include "LogicLib.nsh"
!include "x64.nsh"

!ifndef VERSION
  !error "define VERSION"
!endif
!ifndef HEADLESS_EXE
  !error "define HEADLESS_EXE (lifeline-headless.exe)"
!endif
!ifndef ROOT
  !error "define ROOT (the repository)"
!endif
!ifndef OUTFILE
  !define OUTFILE "Lifeline_${VERSION}_x64-setup.exe"
!endif

!define PRODUCT "Lifeline"
!define PUBLISHER "Lifeline"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT}"
!define CAPABILITIES_KEY "Software\${PRODUCT}\Capabilities"
!define PROGID "Lifeline.Url"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${PRODUCT}"
Icon "${ROOT}\icons\icon.ico"
UninstallIcon "${ROOT}\icons\icon.ico"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${PRODUCT}"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "FileDescription" "${PRODUCT} installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "MPL-2.0"

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Function .onInit
  SetShellVarContext all
  SetRegView 64
FunctionEnd

Function un.onInit
  SetShellVarContext all
  SetRegView 64
FunctionEnd

; A link scheme (tel, sip) opens the app: the scheme's class, and the app's capability for Default Apps.
!macro REGISTER_SCHEME SCHEME
  WriteRegStr HKLM "Software\Classes\${SCHEME}" "" "URL:${SCHEME}"
  WriteRegStr HKLM "Software\Classes\${SCHEME}" "URL Protocol" ""
  WriteRegStr HKLM "Software\Classes\${SCHEME}\DefaultIcon" "" "$INSTDIR\lifeline.exe,0"
  WriteRegStr HKLM "Software\Classes\${SCHEME}\shell\open\command" "" '"$INSTDIR\lifeline.exe" "%1"'
  WriteRegStr HKLM "${CAPABILITIES_KEY}\URLAssociations" "${SCHEME}" "${PROGID}"
!macroend

; Remove a scheme's class only while it is still ours (another phone may have taken it since).
!macro UNREGISTER_SCHEME SCHEME
  ReadRegStr $0 HKLM "Software\Classes\${SCHEME}\shell\open\command" ""
  ${If} $0 == '"$INSTDIR\lifeline.exe" "%1"'
    DeleteRegKey HKLM "Software\Classes\${SCHEME}"
  ${EndIf}
!macroend

Section "Lifeline"
  SetOutPath "$INSTDIR"
  File "/oname=lifeline-headless.exe" "${HEADLESS_EXE}"
!ifdef APP_EXE
  File "/oname=lifeline.exe" "${APP_EXE}"
!endif
!ifdef WEBVIEW2_LOADER
  File "/oname=WebView2Loader.dll" "${WEBVIEW2_LOADER}"
!endif
  SetOutPath "$INSTDIR\policy"
  File "${ROOT}\assets\mdm\lifeline.admx"
  File "${ROOT}\assets\mdm\lifeline-policy.schema.json"
  SetOutPath "$INSTDIR\policy\en-US"
  File "${ROOT}\assets\mdm\en-US\lifeline.adml"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; tel: and sip: links
  WriteRegStr HKLM "Software\Classes\${PROGID}" "" "Lifeline link"
  WriteRegStr HKLM "Software\Classes\${PROGID}" "URL Protocol" ""
  WriteRegStr HKLM "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\lifeline.exe,0"
  WriteRegStr HKLM "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\lifeline.exe" "%1"'
  WriteRegStr HKLM "${CAPABILITIES_KEY}" "ApplicationName" "${PRODUCT}"
  WriteRegStr HKLM "${CAPABILITIES_KEY}" "ApplicationDescription" "Softphone with emergency calling"
  !insertmacro REGISTER_SCHEME "tel"
  !insertmacro REGISTER_SCHEME "sip"
  WriteRegStr HKLM "Software\RegisteredApplications" "${PRODUCT}" "${CAPABILITIES_KEY}"

  ; Apps & features
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\lifeline-headless.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  !insertmacro UNREGISTER_SCHEME "tel"
  !insertmacro UNREGISTER_SCHEME "sip"
  DeleteRegKey HKLM "Software\Classes\${PROGID}"
  DeleteRegValue HKLM "Software\RegisteredApplications" "${PRODUCT}"
  DeleteRegKey HKLM "Software\${PRODUCT}"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"

  Delete "$INSTDIR\lifeline-headless.exe"
  Delete "$INSTDIR\lifeline.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\policy\lifeline.admx"
  Delete "$INSTDIR\policy\lifeline-policy.schema.json"
  Delete "$INSTDIR\policy\en-US\lifeline.adml"
  RMDir "$INSTDIR\policy\en-US"
  RMDir "$INSTDIR\policy"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
SectionEnd
